import Foundation
import Testing

@Suite("junction route")
struct RouteCommandTests {
    let sandbox: CLISandbox

    init() throws {
        sandbox = try CLISandbox()
        try sandbox.ok(["workspace", "add", "demo", "--root", "/src/demo"])
        try sandbox.ok(["workspace", "add", "other", "--root", "/src/other"])
        try sandbox.ok(["server", "add", "gh", "--", "gh-mcp"])
    }

    @Test("add workspace and global rules with every option; list and filter them as JSON")
    func addAndList() throws {
        let rule = try sandbox.jsonObject([
            "route", "add", "--workspace", "demo", "--tool", "gh__create_*", "--server", "gh", "--policy", "approve",
            "--priority", "5", "--path", "src/**", "--name", "gh-writes", "--approval-timeout", "60", "--json",
        ])
        let global = try sandbox.ok(["route", "add", "--global", "--tool", "*", "--policy", "deny", "--priority", "-3"])
        #expect(global.hasPrefix("Added route ") && global.contains("deny * in the global scope"))
        try sandbox.ok(["route", "add", "--workspace", "other", "--tool", "gh__read"])

        let workspace = try sandbox.jsonObject(["workspace", "show", "demo", "--json"])
        let server = try sandbox.jsonObject(["server", "show", "gh", "--json"])
        #expect(rule["workspace_id"] as? String == workspace["id"] as? String)
        #expect(rule["server_id"] as? String == server["id"] as? String)
        #expect(rule["tool_pattern"] as? String == "gh__create_*")
        #expect(rule["policy"] as? String == "approve")
        #expect(rule["priority"] as? Int == 5)
        #expect(rule["path_glob"] as? String == "src/**")
        #expect(rule["name"] as? String == "gh-writes")
        #expect(rule["approval_timeout_sec"] as? Int == 60)

        let all = try sandbox.jsonArray(["route", "list", "--json"])
        #expect(all.compactMap { $0["tool_pattern"] as? String } == ["gh__create_*", "gh__read", "*"])
        #expect(all.last?["workspace_id"] is NSNull)
        #expect(all.last?["priority"] as? Int == -3)
        #expect(all.last?["path_glob"] as? String == "**")

        let demo = try sandbox.jsonArray(["route", "list", "--workspace", "demo", "--json"])
        #expect(demo.compactMap { $0["name"] as? String } == ["gh-writes"])
        let globals = try sandbox.jsonArray(["route", "list", "--global", "--json"])
        #expect(globals.compactMap { $0["tool_pattern"] as? String } == ["*"])

        let table = try sandbox.ok(["route", "list"])
        #expect(table.hasPrefix("ID"))
        #expect(table.contains("gh-writes") && table.contains("global") && table.contains("approve"))
    }

    @Test("a scope without --server routes to the scope's server")
    func scopeFillsServer() throws {
        try sandbox.ok(["scope", "add", "gh-work", "--server", "gh", "--env", "TOKEN=x"])
        let rule = try sandbox.jsonObject([
            "route", "add", "--global", "--tool", "gh__*", "--scope", "gh-work", "--json",
        ])
        let server = try sandbox.jsonObject(["server", "show", "gh", "--json"])
        let scope = try sandbox.jsonObject(["scope", "show", "gh-work", "--json"])
        #expect(rule["server_id"] as? String == server["id"] as? String)
        #expect(rule["auth_scope_id"] as? String == scope["id"] as? String)
    }

    @Test("rules are removed by id and by name")
    func remove() throws {
        let named = try sandbox.jsonObject(["route", "add", "--global", "--tool", "a__*", "--name", "r1", "--json"])
        let unnamed = try sandbox.jsonObject(["route", "add", "--global", "--tool", "b__*", "--json"])
        let id = try #require(unnamed["id"] as? String)

        #expect(try sandbox.ok(["route", "rm", "r1"]) == "Removed route 'r1' \(named["id"] as? String ?? "?").\n")
        #expect(try sandbox.ok(["route", "rm", id]) == "Removed route \(id).\n")
        #expect(try sandbox.jsonArray(["route", "list", "--json"]).isEmpty)
        try sandbox.fails(["route", "rm", "r1"], "route 'r1' not found", "junction route list")
    }

    @Test("rules can be shown, disabled and enabled")
    func showEnableDisable() throws {
        try sandbox.ok(["route", "add", "--workspace", "demo", "--tool", "gh__*", "--name", "r1", "--cache-ttl", "30"])
        let shown = try sandbox.ok(["route", "show", "r1"])
        #expect(shown.contains("scope:            demo") && shown.contains("cache ttl:        30s"))
        #expect(shown.contains("server:           (namespace owner)"))
        #expect(try sandbox.ok(["route", "disable", "r1"]) == "Route r1 is disabled.\n")
        #expect(try sandbox.jsonObject(["route", "show", "r1", "--json"])["enabled"] as? Bool == false)
        #expect(try sandbox.ok(["route", "enable", "r1"]) == "Route r1 is enabled.\n")
    }

    @Test("bad input: unknown workspace, server or scope, bad glob with its position, duplicate name")
    func badInput() throws {
        try sandbox.fails(["route", "add", "--workspace", "nope", "--tool", "*"], "workspace 'nope' not found")
        try sandbox.fails(["route", "add", "--global", "--tool", "*", "--server", "nope"], "server 'nope' not found")
        try sandbox.fails(["route", "add", "--global", "--tool", "*", "--scope", "nope"], "scope 'nope' not found")
        try sandbox.fails(
            ["route", "add", "--global", "--tool", "gh__[abc"],
            "invalid tool pattern", "unterminated character class at position 4")
        try sandbox.fails(
            ["route", "add", "--global", "--tool", "*", "--path", "src/[z-a]"], "invalid path glob",
            "reversed range 'z-a' in character class at position 5")
        try sandbox.fails(["route", "list", "--workspace", "nope"], "workspace 'nope' not found")
        try sandbox.ok(["route", "add", "--global", "--tool", "*", "--name", "r1"])
        try sandbox.fails(
            ["route", "add", "--global", "--tool", "x", "--name", "r1"], "a route named 'r1' already exists")
        #expect(try sandbox.jsonArray(["route", "list", "--json"]).count == 1)

        let both = try sandbox.run(["route", "add", "--workspace", "demo", "--global", "--tool", "*"])
        #expect(both.exitCode == 1 && both.stderr.contains("exactly one of --workspace NAME or --global"))
    }
}
