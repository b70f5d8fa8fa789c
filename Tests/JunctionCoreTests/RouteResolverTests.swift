import Foundation
import JunctionCore
import Testing

@Suite("RouteResolver")
struct RouteResolverTests {
    typealias F = Fixture

    /// One routing scenario: rules, a call, and what must come out.
    struct Scenario: Sendable, CustomTestStringConvertible {
        let name: String
        let rules: [RouteRule]
        var tool = "github__create_issue"
        var clientRoot = "/work/app/src"
        var workspaces = [F.outer, F.app]
        var globalDefault = Policy.allow
        let decision: Policy
        /// Id of the deciding rule; nil when a default applied.
        let rule: String?
        var downstream: String? = nil
        var reasonContains: String? = nil
        var testDescription: String { name }
    }

    static let scenarios: [Scenario] = [
        Scenario(
            name: "priority beats specificity",
            rules: [
                F.rule("a", "github__*", .allow, in: F.app, priority: 10),
                F.rule("b", "github__create_issue", .deny, in: F.app),
            ],
            decision: .allow, rule: "a", downstream: "github"),
        Scenario(
            name: "equal priority: exact name beats wildcard",
            rules: [
                F.rule("a", "github__*", .allow, in: F.app),
                F.rule("b", "github__create_issue", .deny, in: F.app),
            ],
            decision: .deny, rule: "b"),
        Scenario(
            name: "equal priority: longer literal prefix beats shorter",
            rules: [
                F.rule("a", "github__*", .allow, in: F.app),
                F.rule("b", "github__create_*", .approve, in: F.app),
                F.rule("c", "*", .deny, in: F.app),
            ],
            decision: .approve, rule: "b", downstream: "github"),
        Scenario(
            name: "equal priority: fewer wildcards break a prefix tie",
            rules: [
                F.rule("a", "github__create_?*", .allow, in: F.app),
                F.rule("b", "github__create_*", .deny, in: F.app),
            ],
            decision: .deny, rule: "b"),
        Scenario(
            name: "equal priority and specificity: lower id wins",
            rules: [
                F.rule("02", "github__*", .deny, in: F.app),
                F.rule("01", "github__*", .allow, in: F.app),
            ],
            decision: .allow, rule: "01", downstream: "github"),
        Scenario(
            name: "equal priority and specificity: lower id wins (swapped)",
            rules: [
                F.rule("01", "github__*", .deny, in: F.app),
                F.rule("02", "github__*", .allow, in: F.app),
            ],
            decision: .deny, rule: "01"),
        Scenario(
            name: "equal tool specificity: narrower path glob wins",
            rules: [
                F.rule("01", "github__*", .allow, in: F.app),
                F.rule("02", "github__*", .deny, in: F.app, path: "src/**"),
            ],
            decision: .deny, rule: "02"),
        Scenario(
            name: "deny in the inner workspace stops the walk",
            rules: [
                F.rule("inner", "github__*", .deny, in: F.app),
                F.rule("outer", "github__*", .allow, in: F.outer, priority: 100),
                F.rule("global", "*", .allow, priority: 100),
            ],
            decision: .deny, rule: "inner"),
        Scenario(
            name: "allow in the inner workspace shadows an outer deny",
            rules: [
                F.rule("inner", "github__*", .allow, in: F.app),
                F.rule("outer", "github__*", .deny, in: F.outer, priority: 100),
                F.rule("global", "*", .deny, priority: 100),
            ],
            decision: .allow, rule: "inner", downstream: "github"),
        Scenario(
            name: "outer workspace decides when the inner has no match",
            rules: [
                F.rule("inner", "fs__*", .allow, in: F.app),
                F.rule("outer", "github__*", .approve, in: F.outer),
            ],
            decision: .approve, rule: "outer", downstream: "github"),
        Scenario(
            name: "global rules apply after every workspace",
            rules: [F.rule("global", "github__*", .deny)],
            decision: .deny, rule: "global"),
        Scenario(
            name: "disabled rules are ignored",
            rules: [
                F.rule("off", "github__*", .deny, in: F.app, priority: 50, enabled: false),
                F.rule("on", "github__*", .approve, in: F.app),
            ],
            decision: .approve, rule: "on"),
        Scenario(
            name: "path glob matches the subpath inside the workspace",
            rules: [F.rule("docs", "github__*", .deny, in: F.app, path: "docs/**")],
            clientRoot: "/work/app/docs/guide",
            decision: .deny, rule: "docs"),
        Scenario(
            name: "path glob that does not match lets the default apply",
            rules: [F.rule("docs", "github__*", .deny, in: F.app, path: "docs/**")],
            decision: .allow, rule: nil, downstream: "github",
            reasonContains: "workspace 'app' default policy is allow"),
        Scenario(
            name: "outer workspace path globs see the subpath relative to the outer root",
            rules: [F.rule("o", "github__*", .deny, in: F.outer, path: "app/src/**")],
            decision: .deny, rule: "o"),
        Scenario(
            name: "global path globs see the path below /",
            rules: [F.rule("g", "github__*", .deny, path: "work/app/**")],
            decision: .deny, rule: "g"),
        Scenario(
            name: "global path glob for secrets at any depth",
            rules: [F.rule("g", "*", .deny, path: "**/secrets/**")],
            clientRoot: "/elsewhere/secrets/prod",
            decision: .deny, rule: "g"),
        Scenario(
            name: "path boundaries: /work/app does not contain /work/apple",
            rules: [F.rule("inner", "github__*", .deny, in: F.app)],
            clientRoot: "/work/apple",
            decision: .allow, rule: nil, downstream: "github", reasonContains: "workspace 'outer'"),
        Scenario(
            name: "trailing slashes and dots in the client root are normalised",
            rules: [F.rule("inner", "github__*", .deny, in: F.app, path: "src")],
            clientRoot: "/work/./app//src/",
            decision: .deny, rule: "inner"),
        Scenario(
            name: "no rule: innermost workspace default policy",
            rules: [],
            workspaces: [F.outer, Workspace(id: "ws-app", name: "app", rootPath: "/work/app", defaultPolicy: .deny)],
            decision: .deny, rule: nil, downstream: "github", reasonContains: "workspace 'app' default policy is deny"),
        Scenario(
            name: "no rule and no workspace: global default",
            rules: [F.rule("inner", "github__*", .deny, in: F.app)],
            clientRoot: "/tmp", globalDefault: .approve,
            decision: .approve, rule: nil, downstream: "github", reasonContains: "global default policy is approve"),
        Scenario(
            name: "empty configuration: global default allows",
            rules: [], clientRoot: "/", workspaces: [],
            decision: .allow, rule: nil, downstream: "github"),
        Scenario(
            name: "unknown namespace is denied, never guessed",
            rules: [F.rule("all", "*", .allow)], tool: "nope__read",
            decision: .deny, rule: "all", reasonContains: "no downstream owns namespace 'nope'"),
        Scenario(
            name: "unknown namespace under a default policy is denied",
            rules: [], tool: "nope__read",
            decision: .deny, rule: nil, reasonContains: "no downstream owns namespace 'nope'"),
        Scenario(
            name: "a tool name without namespace is denied",
            rules: [], tool: "read_file",
            decision: .deny, rule: nil, reasonContains: "has no namespace"),
        Scenario(
            name: "nothing after the namespace separator is denied",
            rules: [], tool: "github__",
            decision: .deny, rule: nil, downstream: "github", reasonContains: "nothing after 'github__'"),
        Scenario(
            name: "a rule naming a downstream routes there",
            rules: [F.rule("work", "github__*", .allow, in: F.app, downstream: "ds-github-work")],
            decision: .allow, rule: "work", downstream: "github-work"),
        Scenario(
            name: "a rule naming an unknown downstream denies",
            rules: [F.rule("bad", "github__*", .allow, in: F.app, downstream: "ds-gone")],
            decision: .deny, rule: "bad", reasonContains: "unknown downstream 'ds-gone'"),
        Scenario(
            name: "a disabled downstream denies",
            rules: [], tool: "off__x",
            decision: .deny, rule: nil, downstream: "off", reasonContains: "downstream 'off' is disabled"),
        Scenario(
            name: "a quarantined downstream denies",
            rules: [F.rule("ok", "held__*", .allow)], tool: "held__x",
            decision: .deny, rule: "ok", downstream: "held", reasonContains: "downstream 'held' is quarantined"),
        Scenario(
            name: "an auth scope of another downstream is refused",
            rules: [F.rule("mix", "github__*", .allow, in: F.app, authScope: "as-fs")],
            decision: .deny, rule: "mix", downstream: "github",
            reasonContains: "auth scope 'fs-scope' belongs to another"),
        Scenario(
            name: "an unknown auth scope is refused",
            rules: [F.rule("mix", "github__*", .allow, in: F.app, authScope: "as-gone")],
            decision: .deny, rule: "mix", downstream: "github", reasonContains: "unknown auth scope 'as-gone'"),
        Scenario(
            name: "unicode workspace names and paths",
            rules: [
                F.rule(
                    "u", "fs__*", .deny, in: Workspace(id: "ws-u", name: "项目", rootPath: "/home/zoë/项目"), path: "文档/**")
            ],
            tool: "fs__read", clientRoot: "/home/zoë/项目/文档/设计",
            workspaces: [Workspace(id: "ws-u", name: "项目", rootPath: "/home/zoë/项目")],
            decision: .deny, rule: "u", downstream: "fs", reasonContains: "workspace '项目'"),
        Scenario(
            name: "relative client roots are denied",
            rules: [], clientRoot: "work/app",
            decision: .deny, rule: nil, reasonContains: "client root is unusable"),
    ]

    @Test("routing scenarios", arguments: scenarios)
    func scenario(_ scenario: Scenario) throws {
        let resolver = try Fixture.resolver(
            workspaces: scenario.workspaces, rules: scenario.rules, globalDefault: scenario.globalDefault)
        let decision = resolver.resolve(tool: scenario.tool, clientRoot: scenario.clientRoot)
        #expect(decision.decision == scenario.decision, "\(decision.reason)")
        #expect(decision.matchedRule?.id == scenario.rule, "\(decision.reason)")
        if let downstream = scenario.downstream {
            #expect(decision.downstream?.name == downstream, "\(decision.reason)")
        }
        if let fragment = scenario.reasonContains {
            #expect(decision.reason.contains(fragment), "\(decision.reason)")
        }
        if decision.decision == .deny {
            #expect(decision.authScope == nil)
        }
        let traced = resolver.resolve(tool: scenario.tool, clientRoot: scenario.clientRoot, trace: true)
        var untraced = traced
        untraced.trace = nil
        #expect(untraced == decision)
    }

    @Test("reason reads as a sentence naming rule, scope, priority and pattern")
    func reason() throws {
        let resolver = try Fixture.resolver(rules: [
            RouteRule(id: "01", name: "r1", workspaceId: "ws-app", toolPattern: "github__*", priority: 10)
        ])
        let decision = resolver.resolve(tool: "github__create_issue", clientRoot: "/work/app")
        #expect(decision.reason == "rule 'r1' (workspace 'app', priority 10) allows github__*")
        #expect(decision.downstreamToolName == "create_issue")
        #expect(decision.workspace?.name == "app")
        #expect(decision.chain.map(\.name) == ["app", "outer", "global"])
    }

    @Test("an allowed rule with an auth scope routes with it")
    func authScope() throws {
        let resolver = try Fixture.resolver(rules: [
            F.rule("w", "github__*", .approve, in: F.app, downstream: "ds-github-work", authScope: "as-work")
        ])
        let decision = resolver.resolve(tool: "github__list", clientRoot: "/work/app")
        #expect(decision.decision == .approve)
        #expect(
            decision.downstream
                == Decision.DownstreamRef(id: "ds-github-work", name: "github-work", namespace: "github-work"))
        #expect(decision.authScope == Decision.AuthScopeRef(id: "as-work", name: "work-token"))
        #expect(decision.downstreamToolName == "list")
    }

    @Test("a named workspace routes as if the client stood at its root")
    func namedWorkspace() throws {
        let resolver = try Fixture.resolver(rules: [
            F.rule("root-only", "github__*", .deny, in: F.app, path: "/"),
            F.rule("src", "github__*", .approve, in: F.app, path: "src/**"),
        ])
        let decision = try #require(resolver.resolve(tool: "github__x", workspaceName: "app"))
        #expect(decision.decision == .deny)
        #expect(decision.matchedRule?.id == "root-only")
        #expect(decision.chain.map(\.subpath) == ["", "app", "work/app"])
        #expect(resolver.resolve(tool: "github__x", workspaceName: "missing") == nil)
    }

    @Test("one chain serves many tools, and a chain from another snapshot is recomputed")
    func chainReuse() throws {
        let before = try Fixture.config(rules: [F.rule("a", "github__*", .deny, in: F.app)])
        let chain = try WorkspaceChain(clientRoot: "/work/app/src", config: before)
        let resolver = RouteResolver(config: before)
        for tool in ["github__a", "github__b"] {
            #expect(
                resolver.resolve(tool: tool, chain: chain) == resolver.resolve(tool: tool, clientRoot: "/work/app/src"))
        }
        // The new snapshot orders its scopes differently (an extra workspace sorts first by id).
        let extra = Workspace(id: "ws-0", name: "zero", rootPath: "/work/app/src")
        let after = RouteResolver(
            config: try Fixture.config(
                generation: 2, workspaces: [F.outer, F.app, extra],
                rules: [F.rule("z", "github__*", .approve, in: extra)]))
        let decision = after.resolve(tool: "github__a", chain: chain)
        #expect(decision.decision == .approve)
        #expect(decision.chain.map(\.name) == ["zero", "app", "outer", "global"])
        let named = try #require(WorkspaceChain(workspaceNamed: "app", config: before))
        #expect(after.resolve(tool: "github__a", chain: named).chain.map(\.name) == ["app", "outer", "global"])
    }

    @Test("decision JSON always has the same keys, with null for absent values")
    func jsonShape() throws {
        let resolver = try Fixture.resolver(workspaces: [], rules: [])
        let decision = resolver.resolve(tool: "nope__x", clientRoot: "/tmp")
        let data = try JSONEncoder().encode(decision)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            Set(object.keys) == [
                "tool_name", "decision", "reason", "workspace", "chain", "matched_rule", "downstream", "auth_scope",
                "downstream_tool_name", "trace",
            ])
        #expect(object["workspace"] is NSNull)
        #expect(object["matched_rule"] is NSNull)
        #expect(object["trace"] is NSNull)
        #expect(object["decision"] as? String == "deny")
        let chain = try #require(object["chain"] as? [[String: Any]])
        #expect(Set(chain[0].keys) == ["kind", "id", "name", "root_path", "subpath"])
        #expect(chain[0]["id"] is NSNull)
        #expect(try JSONDecoder().decode(Decision.self, from: data) == decision)
    }

    @Test("matched rule and trace JSON use snake_case keys")
    func traceJSONShape() throws {
        let resolver = try Fixture.resolver(rules: [F.rule("a", "github__*", .allow, in: F.app)])
        let decision = resolver.resolve(tool: "github__x", clientRoot: "/work/app", trace: true)
        let data = try JSONEncoder().encode(decision)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let rule = try #require(object["matched_rule"] as? [String: Any])
        #expect(
            Set(rule.keys) == [
                "id", "name", "scope", "tool_pattern", "path_glob", "policy", "priority", "approval_timeout_sec",
                "cache_ttl_sec",
            ])
        let trace = try #require(object["trace"] as? [[String: Any]])
        #expect(Set(trace[0].keys) == ["rule_id", "scope", "matched", "why"])
        #expect(try JSONDecoder().decode(Decision.self, from: data) == decision)
    }

    @Test("the trace explains every rule of every scope in evaluation order")
    func trace() throws {
        let resolver = try Fixture.resolver(rules: [
            F.rule("t-off", "github__*", .deny, in: F.app, priority: 9, enabled: false),
            F.rule("t-tool", "fs__*", .deny, in: F.app, priority: 8),
            F.rule("t-path", "github__*", .deny, in: F.app, path: "docs/**", priority: 7),
            F.rule("t-win", "github__*", .allow, in: F.app),
            F.rule("t-late", "*", .deny, in: F.app),
            F.rule("t-outer", "github__*", .deny, in: F.outer),
            F.rule("t-global", "fs__*", .deny),
        ])
        let decision = resolver.resolve(tool: "github__x", clientRoot: "/work/app/src", trace: true)
        let trace = try #require(decision.trace)
        #expect(trace.map(\.ruleId) == ["t-off", "t-tool", "t-path", "t-win", "t-late", "t-outer", "t-global"])
        #expect(trace.map(\.scope) == ["app", "app", "app", "app", "app", "outer", "global"])
        #expect(trace.map(\.matched) == [false, false, false, true, true, true, false])
        #expect(trace[0].why == "disabled")
        #expect(trace[1].why == "tool pattern 'fs__*' does not match 'github__x'")
        #expect(trace[2].why == "path glob 'docs/**' does not match subpath 'src'")
        #expect(trace[3].why == "matches and decides: allow")
        #expect(trace[4].why.contains("shadowed"))
        #expect(trace[5].why.contains("shadowed"))
        #expect(trace[6].why.contains("does not match"))
        #expect(decision.matchedRule?.id == "t-win")
    }

    @Test("config errors name the rule")
    func configErrors() throws {
        #expect(
            throws: RoutingConfigError.invalidToolPattern(
                ruleId: "bad", GlobError(pattern: "gh__[", position: 4, reason: "unterminated character class"))
        ) {
            try Fixture.config(rules: [F.rule("bad", "gh__[")])
        }
        #expect(
            throws: RoutingConfigError.invalidPathGlob(
                ruleId: "bad", GlobError(pattern: "", position: 0, reason: "empty pattern"))
        ) {
            try Fixture.config(rules: [F.rule("bad", "gh__*", path: "")])
        }
        #expect(throws: RoutingConfigError.unknownWorkspace(ruleId: "r", workspaceId: "ws-none")) {
            try Fixture.config(rules: [RouteRule(id: "r", workspaceId: "ws-none", toolPattern: "*")])
        }
        #expect(throws: RoutingConfigError.duplicateRuleId("r")) {
            try Fixture.config(rules: [F.rule("r", "*"), F.rule("r", "a*")])
        }
        let message = RoutingConfigError.invalidToolPattern(
            ruleId: "bad", GlobError(pattern: "gh__[", position: 4, reason: "unterminated character class")
        ).description
        #expect(
            message
                == "route 'bad': invalid tool pattern: invalid glob 'gh__[': unterminated character class at position 4"
        )
    }

    @Test("namespace is the text before the first double underscore")
    func namespace() {
        #expect(RouteResolver.namespace(of: "github__create__issue") == "github")
        #expect(RouteResolver.namespace(of: "a___b") == "a")
        #expect(RouteResolver.namespace(of: "plain") == nil)
        #expect(RouteResolver.namespace(of: "__x") == "")
    }

    @Test("specificity orders exact, then longer prefix, then fewer wildcards, then path")
    func specificityOrder() throws {
        func spec(_ tool: String, _ path: String = "**") throws -> RuleSpecificity {
            RuleSpecificity(toolPattern: try Glob(tool), pathGlob: try Glob(path, flavor: .path))
        }
        let ordered = [
            try spec("gh__create_issue"),
            try spec("gh__create_*"),
            try spec("gh__create_?*"),
            try spec("gh__*", "src/app"),
            try spec("gh__*", "src/**"),
            try spec("gh__*"),
            try spec("*"),
        ]
        for (more, less) in zip(ordered, ordered.dropFirst()) {
            #expect(less < more, "\(less) should be less specific than \(more)")
        }
    }

    // MARK: - Properties

    @Test("decisions do not depend on the order rules were given", arguments: [1, 2, 3, 4] as [UInt64])
    func insertionOrderInvariance(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let workspaces = RandomConfig.workspaces()
        let rules = RandomConfig.rules(count: 60, workspaces: workspaces, using: &rng)
        func resolver(_ rules: [RouteRule]) throws -> RouteResolver {
            RouteResolver(
                config: try RoutingConfig(
                    generation: 1, workspaces: workspaces.shuffled(using: &rng),
                    downstreams: RandomConfig.downstreams(),
                    rules: rules, authScopes: [AuthScope(id: "as-fs", name: "fs-scope", downstreamId: "ds-fs")],
                    globalDefaultPolicy: .deny))
        }
        let reference = try resolver(rules)
        let shuffled = try (0..<4).map { _ in try resolver(rules.shuffled(using: &rng)) }
        for _ in 0..<300 {
            let tool = RandomConfig.tool(using: &rng)
            let root = RandomConfig.clientRoots.randomElement(using: &rng) ?? "/"
            let expected = reference.resolve(tool: tool, clientRoot: root)
            for other in shuffled {
                #expect(other.resolve(tool: tool, clientRoot: root) == expected)
            }
        }
    }

    @Test("the indexed fast path and the full traced walk always agree", arguments: [11, 12, 13] as [UInt64])
    func tracedAgreesWithFastPath(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        for generation in 0..<5 {
            let resolver = RouteResolver(
                config: try RandomConfig.config(generation: UInt64(generation), ruleCount: 80, using: &rng))
            for _ in 0..<200 {
                let tool = RandomConfig.tool(using: &rng)
                let root = RandomConfig.clientRoots.randomElement(using: &rng) ?? "/"
                var traced = resolver.resolve(tool: tool, clientRoot: root, trace: true)
                let trace = try #require(traced.trace)
                #expect(
                    trace.filter { $0.why.hasPrefix("matches and decides") }.map(\.ruleId)
                        == [traced.matchedRule?.id].compactMap { $0 })
                traced.trace = nil
                #expect(traced == resolver.resolve(tool: tool, clientRoot: root))
            }
        }
    }
}
