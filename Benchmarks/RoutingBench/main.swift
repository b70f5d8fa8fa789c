// Routing benchmark: median ns per resolution, cached (tier 1 hits) and uncached, for configs of
// 10, 1,000 and 10,000 rules. Run in release: `swift run -c release RoutingBench [--quick]`.
import JunctionCore

/// Deterministic generator so every run benchmarks the same configuration.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

let quick = CommandLine.arguments.contains("--quick")
/// `--only cached` or `--only uncached` runs one scenario (for profiling with perf).
let only = CommandLine.arguments.firstIndex(of: "--only").flatMap {
    $0 + 1 < CommandLine.arguments.count ? CommandLine.arguments[$0 + 1] : nil
}
let runs = quick ? 3 : 9
let callsPerRun = quick ? 20_000 : 200_000

let namespaces: [String] = [
    "github", "gitlab", "slack", "jira", "linear", "notion", "fs", "postgres", "sqlite", "redis", "s3", "gcs",
    "docker", "k8s", "sentry", "datadog", "pagerduty", "stripe", "twilio", "sendgrid", "figma", "miro", "asana",
    "trello", "confluence", "gdrive", "gmail", "calendar", "zoom", "teams", "discord", "npm", "pypi", "cargo",
    "brew", "aws", "azure", "gcp", "vercel", "netlify", "cloudflare", "supabase", "firebase", "mongo", "elastic",
    "grafana", "prom", "vault", "terraform", "ansible",
]
let verbs = ["create", "get", "list", "update", "delete", "search", "read", "write", "run", "sync"]
let nouns = ["issue", "repo", "file", "user", "project", "item", "record", "job", "secret", "page"]
let toolNames = verbs.flatMap { verb in nouns.map { "\(verb)_\($0)" } }

let workspaces =
    [
        Workspace(id: "01W0", name: "home", rootPath: "/home/dev"),
        Workspace(id: "01W1", name: "work", rootPath: "/home/dev/work"),
        Workspace(id: "01W2", name: "app", rootPath: "/home/dev/work/app"),
        Workspace(id: "01W3", name: "api", rootPath: "/home/dev/work/app/services/api"),
    ] + (0..<20).map { Workspace(id: "01X\($0)", name: "side\($0)", rootPath: "/home/dev/side/project\($0)") }
let downstreams = namespaces.map { Downstream(id: "ds-\($0)", name: $0) }
let clientRoots = [
    "/home/dev/work/app/services/api/src/handlers", "/home/dev/work/app/docs", "/home/dev/work/app",
    "/home/dev/side/project3/src", "/tmp/scratch",
]
let pathGlobs = ["**", "**", "**", "**", "**", "**", "src/**", "docs/**", "**/secrets/**", "services/*/src/**"]

func makeRules(count: Int, using rng: inout SplitMix64) -> [RouteRule] {
    (0..<count).map { index in
        let namespace = namespaces.randomElement(using: &rng) ?? "fs"
        let tool = toolNames.randomElement(using: &rng) ?? "read_file"
        let shape = Int.random(in: 0..<100, using: &rng)
        let pattern: String
        switch shape {
        case 0..<45: pattern = "\(namespace)__\(tool)"
        case 45..<70: pattern = "\(namespace)__*"
        case 70..<85: pattern = "\(namespace)__\(verbs.randomElement(using: &rng) ?? "get")_*"
        case 85..<95: pattern = "\(namespace)__*_\(nouns.randomElement(using: &rng) ?? "file")"
        case 95..<98: pattern = "*__delete_*"
        default: pattern = "*__*_\(nouns.randomElement(using: &rng) ?? "secret")"
        }
        let workspace = Int.random(in: 0...workspaces.count, using: &rng)
        return RouteRule(
            id: "01R" + String(index + 100_000),
            workspaceId: workspace == workspaces.count ? nil : workspaces[workspace].id,
            pathGlob: pathGlobs.randomElement(using: &rng) ?? "**",
            toolPattern: pattern,
            policy: [Policy.allow, .allow, .deny, .approve].randomElement(using: &rng) ?? .allow,
            priority: Int.random(in: 0...5, using: &rng),
            enabled: Int.random(in: 0..<20, using: &rng) != 0)
    }
}

/// Median of `runs` timings of `calls` invocations, in ns per call.
func measure(calls: Int, _ body: (Int) -> Int) -> (Double, Int) {
    var samples: [Double] = []
    var sink = 0
    sink &+= body(0)  // warm-up
    for _ in 0..<runs {
        let start = ContinuousClock.now
        for call in 0..<calls { sink &+= body(call) }
        let elapsed = ContinuousClock.now - start
        samples.append(nanoseconds(elapsed) / Double(calls))
    }
    samples.sort()
    return (samples[samples.count / 2], sink)
}

/// "412 ns", "3.4 µs", "12.5 ms": one decimal, no Foundation.
func format(_ nanoseconds: Double) -> String {
    func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
    if nanoseconds < 1_000 { return "\(Int(nanoseconds.rounded())) ns" }
    if nanoseconds < 1_000_000 { return oneDecimal(nanoseconds / 1_000) + " µs" }
    return oneDecimal(nanoseconds / 1_000_000) + " ms"
}

func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}

var rng = SplitMix64(state: 42)
var sink = 0
print("| rules | uncached (RouteResolver) | cached hit (CachedRouteResolver) | build config |")
print("|------:|------------------------:|---------------------------------:|-------------:|")
for ruleCount in [10, 1_000, 10_000] {
    let rules = makeRules(count: ruleCount, using: &rng)
    let buildStart = ContinuousClock.now
    let config: RoutingConfig
    do {
        config = try RoutingConfig(
            generation: 1, workspaces: workspaces, downstreams: downstreams, rules: rules, authScopes: [],
            globalDefaultPolicy: .allow)
    } catch {
        print("cannot build config: \(error)")
        continue
    }
    let buildTime = ContinuousClock.now - buildStart
    let resolver = RouteResolver(config: config)

    // Uncached: varied tools and client roots, straight to the resolver.
    let varied = (0..<4_096).map { _ in
        (
            "\(namespaces.randomElement(using: &rng) ?? "fs")__\(toolNames.randomElement(using: &rng) ?? "get_file")",
            clientRoots.randomElement(using: &rng) ?? "/"
        )
    }
    let uncachedCalls = only == "cached" ? 1 : max(2_000, callsPerRun / (ruleCount >= 10_000 ? 10 : 2))
    let (uncached, sinkA) = measure(calls: uncachedCalls) { call in
        let (tool, root) = varied[call & 4_095]
        return resolver.resolve(tool: tool, clientRoot: root).reason.utf8.count
    }

    // Cached: the same 64 (tool, root) pairs over and over, as a session's tools/call stream does.
    let cached = CachedRouteResolver(config: config, capacity: 10_000)
    let hot = Array(varied.prefix(64))
    for (tool, root) in hot { _ = cached.resolve(tool: tool, clientRoot: root) }
    let (hit, sinkB) = measure(calls: only == "uncached" ? 1 : callsPerRun) { call in
        let (tool, root) = hot[call & 63]
        return cached.resolve(tool: tool, clientRoot: root).decision == .allow ? 1 : 0
    }
    sink &+= sinkA &+ sinkB
    print("| \(ruleCount) | \(format(uncached)) | \(format(hit)) | \(format(nanoseconds(buildTime))) |")
}
print("\n(\(runs) runs each, median; checksum \(sink & 0xFFFF))")
