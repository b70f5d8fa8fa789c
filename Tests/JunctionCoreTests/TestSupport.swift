import Foundation
import JunctionCore
import Synchronization

/// SplitMix64: tiny, fast, seedable, so property tests are reproducible from their seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A clock tests move by hand, so TTLs are checked without sleeping.
final class ManualClock: Sendable {
    private let current = Mutex(ContinuousClock.now)

    var now: ContinuousClock.Instant {
        current.withLock { $0 }
    }

    func advance(by duration: Duration) {
        current.withLock { $0 = $0 + duration }
    }
}

/// Small builders so table-driven tests read as data.
enum Fixture {
    static let github = Downstream(id: "ds-github", name: "github")
    static let githubWork = Downstream(id: "ds-github-work", name: "github-work")
    static let fs = Downstream(id: "ds-fs", name: "fs")
    static let off = Downstream(id: "ds-off", name: "off", enabled: false)
    static let held = Downstream(id: "ds-held", name: "held", quarantined: true)
    static let downstreams = [github, githubWork, fs, off, held]

    static let workToken = AuthScope(id: "as-work", name: "work-token", downstreamId: "ds-github-work")
    static let fsScope = AuthScope(id: "as-fs", name: "fs-scope", downstreamId: "ds-fs")

    static let outer = Workspace(id: "ws-outer", name: "outer", rootPath: "/work")
    static let app = Workspace(id: "ws-app", name: "app", rootPath: "/work/app")

    static func rule(
        _ id: String, _ toolPattern: String, _ policy: Policy = .allow, in workspace: Workspace? = nil,
        path: String = "**", priority: Int = 0, downstream: String? = nil, authScope: String? = nil,
        enabled: Bool = true
    ) -> RouteRule {
        RouteRule(
            id: id, name: id, workspaceId: workspace?.id, pathGlob: path, toolPattern: toolPattern,
            downstreamId: downstream, authScopeId: authScope, policy: policy, priority: priority, enabled: enabled)
    }

    static func config(
        generation: UInt64 = 1, workspaces: [Workspace] = [outer, app], rules: [RouteRule],
        downstreams: [Downstream] = downstreams, authScopes: [AuthScope] = [workToken, fsScope],
        globalDefault: Policy = .allow, canonicalize: @escaping @Sendable (String) -> String = { $0 }
    ) throws -> RoutingConfig {
        try RoutingConfig(
            generation: generation, workspaces: workspaces, downstreams: downstreams, rules: rules,
            authScopes: authScopes, globalDefaultPolicy: globalDefault, canonicalize: canonicalize)
    }

    static func resolver(
        workspaces: [Workspace] = [outer, app], rules: [RouteRule], globalDefault: Policy = .allow
    ) throws -> RouteResolver {
        RouteResolver(config: try config(workspaces: workspaces, rules: rules, globalDefault: globalDefault))
    }
}

/// Random configurations over a small vocabulary, so rules collide often.
enum RandomConfig {
    static let namespaces = ["github", "fs", "slack", "db", "x-1"]
    static let tools = ["create_issue", "delete_repo", "read", "write_file", "list", "delete_file"]
    static let toolPatterns = [
        "{ns}__*", "{ns}__{tool}", "*__delete_*", "*", "{ns}__[a-d]*", "?s__*", "*read*", "{ns}__*_file",
        "{ns}__[!l]*", "*__list", "gh_*",
    ]
    static let pathGlobs = ["**", "**", "**", "src/**", "docs/*", "**/secrets/**", "src", "*", "w/**", "app/**/k"]
    static let roots = ["/w", "/w/app", "/w/app/src", "/other", "/w/apple"]
    static let clientRoots = [
        "/w", "/w/app", "/w/app/src/x", "/w/apple", "/other/docs", "/", "/w/app/docs/secrets/k", "/w/app/src",
        "/elsewhere/src", "/w/app/docs/a",
    ]

    static func workspaces() -> [Workspace] {
        roots.enumerated().map { index, root in
            Workspace(
                id: "ws-\(index)", name: "ws\(index)", rootPath: root,
                defaultPolicy: [Policy.allow, .deny, .approve][index % 3])
        }
    }

    static func downstreams() -> [Downstream] {
        namespaces.enumerated().map { index, namespace in
            Downstream(id: "ds-\(namespace)", name: namespace, enabled: index != 3, quarantined: index == 4)
        }
    }

    static func tool<G: RandomNumberGenerator>(using rng: inout G) -> String {
        let pick = Int.random(in: 0..<20, using: &rng)
        if pick == 0 { return "plain" }
        if pick == 1 { return "nope__read" }
        return "\(namespaces.randomElement(using: &rng) ?? "fs")__\(tools.randomElement(using: &rng) ?? "read")"
    }

    static func rules<G: RandomNumberGenerator>(count: Int, workspaces: [Workspace], using rng: inout G) -> [RouteRule]
    {
        (0..<count).map { index in
            let namespace = namespaces.randomElement(using: &rng) ?? "fs"
            let tool = tools.randomElement(using: &rng) ?? "read"
            let pattern = (toolPatterns.randomElement(using: &rng) ?? "*")
                .replacingOccurrences(of: "{ns}", with: namespace)
                .replacingOccurrences(of: "{tool}", with: tool)
            let workspace = Int.random(in: 0...workspaces.count, using: &rng)
            return RouteRule(
                id: String(format: "r%05d", index),
                workspaceId: workspace == workspaces.count ? nil : workspaces[workspace].id,
                pathGlob: pathGlobs.randomElement(using: &rng) ?? "**",
                toolPattern: pattern,
                downstreamId: Int.random(in: 0..<8, using: &rng) == 0 ? "ds-fs" : nil,
                authScopeId: Int.random(in: 0..<10, using: &rng) == 0 ? "as-fs" : nil,
                policy: [Policy.allow, .deny, .approve].randomElement(using: &rng) ?? .allow,
                priority: Int.random(in: 0...3, using: &rng),
                enabled: Int.random(in: 0..<10, using: &rng) != 0)
        }
    }

    static func config<G: RandomNumberGenerator>(
        generation: UInt64, ruleCount: Int, using rng: inout G
    ) throws -> RoutingConfig {
        let workspaces = workspaces()
        return try RoutingConfig(
            generation: generation, workspaces: workspaces, downstreams: downstreams(),
            rules: rules(count: ruleCount, workspaces: workspaces, using: &rng),
            authScopes: [AuthScope(id: "as-fs", name: "fs-scope", downstreamId: "ds-fs")],
            globalDefaultPolicy: Bool.random(using: &rng) ? .allow : .deny)
    }
}
