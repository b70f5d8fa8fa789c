import Foundation
import JunctionCore
import JunctionStore
import Testing

@Suite("RouteRuleRepository")
struct RouteRuleRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    @Test("workspace and global rules round-trip every field and are found by id and by name")
    func createAndLookUp() throws {
        let workspace = try store.workspace("demo")
        let gh = try store.server("gh")
        let created = try store.routes.create(
            RouteRule(
                name: "gh-approve", workspaceId: workspace.id, pathGlob: "src/**", toolPattern: "gh__create_*",
                downstreamId: gh.id, policy: .approve, priority: 5, approvalTimeoutSec: 60, cacheTTLSec: 0,
                enabled: false))
        let global = try store.rule("*", policy: .deny)

        for key in [created.id, "gh-approve"] {
            let stored = try store.routes.get(key)
            #expect(stored.id == created.id && stored.name == "gh-approve")
            #expect(stored.workspaceId == workspace.id && stored.downstreamId == gh.id && stored.authScopeId == nil)
            #expect(stored.pathGlob == "src/**" && stored.toolPattern == "gh__create_*")
            #expect(stored.policy == .approve && stored.priority == 5)
            #expect(stored.approvalTimeoutSec == 60 && stored.cacheTTLSec == 0 && !stored.enabled)
        }
        let storedGlobal = try store.routes.get(global.id)
        #expect(storedGlobal.workspaceId == nil && storedGlobal.pathGlob == "**" && storedGlobal.name == nil)
        #expect(try store.routes.find("nope") == nil)
        #expect(throws: StoreError.notFound(kind: "route", key: "nope")) { try store.routes.get("nope") }
    }

    static let badToolPatterns: [(String, String)] = [
        ("gh__[abc", "unterminated character class at position 4"),
        ("gh__[]x", "empty character class at position 4"),
        ("ab\\", "trailing escape '\\' at position 2"),
        ("x[z-a]", "reversed range 'z-a' in character class at position 2"),
        ("", "empty pattern at position 0"),
    ]

    @Test("an invalid tool pattern is refused with the position of the problem", arguments: badToolPatterns)
    func badToolPattern(pattern: String, problem: String) throws {
        expectInvalid("tool_pattern", "invalid tool pattern", problem) {
            try store.routes.create(RouteRule(toolPattern: pattern))
        }
        #expect(try store.routes.list().isEmpty)
    }

    @Test("an invalid path glob is refused with the position of the problem")
    func badPathGlob() throws {
        expectInvalid("path_glob", "invalid path glob", "src/[a", "position 4") {
            try store.routes.create(RouteRule(pathGlob: "src/[a", toolPattern: "*"))
        }
        expectInvalid("path_glob", "empty pattern") {
            try store.routes.create(RouteRule(pathGlob: "", toolPattern: "*"))
        }
    }

    @Test("invalid names, approval timeouts and cache TTLs are refused")
    func badFields() throws {
        expectInvalid("name", "invalid route name") {
            try store.routes.create(RouteRule(name: "no spaces", toolPattern: "*"))
        }
        expectInvalid("name", "invalid route name") {
            try store.routes.create(RouteRule(name: "", toolPattern: "*"))
        }
        expectInvalid("approval_timeout_sec", "1 to 604800 seconds") {
            try store.routes.create(RouteRule(toolPattern: "*", approvalTimeoutSec: 0))
        }
        expectInvalid("cache_ttl_sec", "0 (off) to 604800") {
            try store.routes.create(RouteRule(toolPattern: "*", cacheTTLSec: -1))
        }
        #expect(try store.routes.list().isEmpty)
    }

    @Test("a duplicate rule name is refused")
    func duplicateName() throws {
        try store.rule("a__*", name: "r")
        #expect(throws: StoreError.duplicate(kind: "route", field: "name", value: "r")) {
            try store.rule("b__*", name: "r")
        }
    }

    @Test("references to unknown workspaces, servers and scopes are refused")
    func unknownReferences() throws {
        #expect(throws: StoreError.notFound(kind: "workspace", key: "no-ws")) {
            try store.routes.create(RouteRule(workspaceId: "no-ws", toolPattern: "*"))
        }
        #expect(throws: StoreError.notFound(kind: "server", key: "no-server")) {
            try store.routes.create(RouteRule(toolPattern: "*", downstreamId: "no-server"))
        }
        #expect(throws: StoreError.notFound(kind: "scope", key: "no-scope")) {
            try store.routes.create(RouteRule(toolPattern: "*", authScopeId: "no-scope"))
        }
        #expect(try store.routes.list().isEmpty)
    }

    @Test("a scope belonging to another server is refused")
    func scopeOfAnotherServer() throws {
        let gh = try store.server("gh")
        try store.server("jira")
        let jiraScope = try store.scope("jira-work", server: "jira")
        expectInvalid("auth_scope_id", "scope 'jira-work' belongs to another server than 'gh'") {
            try store.rule("gh__*", server: gh, scope: jiraScope)
        }
    }

    @Test("a rule with a scope but no server is routed to the scope's server")
    func scopeFillsServer() throws {
        let gh = try store.server("gh")
        let scope = try store.scope("gh-work", server: "gh")
        let rule = try store.rule("gh__*", scope: scope)
        #expect(rule.downstreamId == gh.id)
        #expect(try store.routes.get(rule.id).downstreamId == gh.id)
        #expect(try store.routes.get(rule.id).authScopeId == scope.id)
    }

    @Test("createAll inserts every rule")
    func createAll() throws {
        let workspace = try store.workspace("demo")
        let rules = try store.routes.createAll([
            RouteRule(workspaceId: workspace.id, toolPattern: "a__*"),
            RouteRule(toolPattern: "b__*", policy: .deny),
        ])
        #expect(rules.count == 2)
        #expect(Set(try store.routes.list().map(\.toolPattern)) == ["a__*", "b__*"])
    }

    @Test("createAll is all-or-nothing when a later rule has an invalid field")
    func createAllInvalidField() throws {
        expectInvalid("tool_pattern", "position 1") {
            try store.routes.createAll([RouteRule(toolPattern: "a__*"), RouteRule(toolPattern: "b[")])
        }
        #expect(try store.routes.list().isEmpty)
    }

    @Test("createAll is all-or-nothing when a later rule fails inside the transaction")
    func createAllRollsBack() throws {
        let generation = try store.database.generation()
        #expect(throws: StoreError.notFound(kind: "workspace", key: "gone")) {
            try store.routes.createAll([
                RouteRule(name: "first", toolPattern: "a__*"),
                RouteRule(workspaceId: "gone", toolPattern: "b__*"),
            ])
        }
        #expect(throws: StoreError.duplicate(kind: "route", field: "name", value: "twin")) {
            try store.routes.createAll([
                RouteRule(name: "twin", toolPattern: "a__*"),
                RouteRule(name: "twin", toolPattern: "b__*"),
            ])
        }
        #expect(try store.routes.list().isEmpty)
        #expect(try store.routes.find("first") == nil)
        #expect(try store.database.generation() == generation)
    }

    @Test("rules are listed by priority, then exact, longer literal prefix, fewer wildcards, then id; global last")
    func listOrder() throws {
        let alpha = try store.workspace("alpha")
        let zeta = try store.workspace("zeta")
        func add(_ id: String, _ tool: String, _ workspace: Workspace?, priority: Int = 0) throws {
            try store.routes.create(
                RouteRule(id: id, workspaceId: workspace?.id, toolPattern: tool, priority: priority))
        }
        // Inserted out of order on purpose.
        try add("01G1", "*", nil, priority: 100)
        try add("01Z1", "*", zeta, priority: 50)
        try add("01A9", "*", alpha)
        try add("01A8", "x__*", alpha)
        try add("01A7", "x__*", alpha)
        try add("01A6", "gh__*_*", alpha)
        try add("01A5", "gh__*", alpha)
        try add("01A4", "gh__read*", alpha)
        try add("01A3", "gh__read", alpha)
        try add("01A2", "*", alpha, priority: 10)
        try add("01G0", "gh__read", nil)

        let expected = [
            "01A2",  // priority 10 beats everything at 0
            "01A3",  // exact
            "01A4",  // literal prefix 8
            "01A5",  // prefix 4, one wildcard
            "01A6",  // prefix 4, two wildcards
            "01A7", "01A8",  // same key: id
            "01A9",  // prefix 0
            "01Z1",  // next workspace by name, whatever its priority
            "01G1", "01G0",  // global rules last, in their own order
        ]
        #expect(try store.routes.list().map(\.id) == expected)
        #expect(try store.routes.list(.workspace(id: alpha.id)).map(\.id) == Array(expected[0..<8]))
        #expect(try store.routes.list(.workspace(id: zeta.id)).map(\.id) == ["01Z1"])
        #expect(try store.routes.list(.global).map(\.id) == ["01G1", "01G0"])
    }

    @Test("rules can be updated, disabled and enabled")
    func updateAndEnable() throws {
        var rule = try store.rule("a__*", name: "r")
        rule.policy = .deny
        rule.priority = 7
        rule.toolPattern = "a__write*"
        try store.routes.update(rule)
        let stored = try store.routes.get("r")
        #expect(stored.policy == .deny && stored.priority == 7 && stored.toolPattern == "a__write*")

        rule.toolPattern = "a__[x"
        expectInvalid("tool_pattern", "position 3") { try store.routes.update(rule) }
        let ghost = RouteRule(toolPattern: "*")
        #expect(throws: StoreError.notFound(kind: "route", key: ghost.id)) { try store.routes.update(ghost) }

        #expect(try store.routes.setEnabled("r", false).enabled == false)
        #expect(try store.routes.get("r").enabled == false)
        #expect(try store.routes.setEnabled(rule.id, true).enabled == true)
    }

    @Test("rules are deleted by id or by name")
    func delete() throws {
        let byName = try store.rule("a__*", name: "named")
        let byId = try store.rule("b__*")
        #expect(try store.routes.delete("named").id == byName.id)
        #expect(try store.routes.delete(byId.id).id == byId.id)
        #expect(try store.routes.list().isEmpty)
        #expect(throws: StoreError.notFound(kind: "route", key: "named")) { try store.routes.delete("named") }
    }
}
