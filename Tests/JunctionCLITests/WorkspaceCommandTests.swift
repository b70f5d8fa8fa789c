import Foundation
import Testing

@Suite("junction workspace")
struct WorkspaceCommandTests {
    let sandbox: CLISandbox

    init() throws {
        sandbox = try CLISandbox()
    }

    @Test("add, list, show and rm a workspace")
    func flow() throws {
        #expect(try sandbox.ok(["workspace", "list"]).contains("No workspaces"))
        let added = try sandbox.ok([
            "workspace", "add", "demo", "--root", "/src/demo/", "--default-policy", "deny", "--tag", "team=core",
        ])
        #expect(added == "Added workspace 'demo' at /src/demo (default deny).\n")

        let table = try sandbox.ok(["workspace", "list"]).split(separator: "\n")
        #expect(table.count == 2)
        #expect(table.first?.hasPrefix("NAME") == true)
        #expect(table.last?.contains("demo") == true && table.last?.contains("/src/demo") == true)
        #expect(table.last?.contains("deny") == true && table.last?.contains("team=core") == true)

        let shown = try sandbox.ok(["workspace", "show", "demo"])
        #expect(shown.contains("root:           /src/demo"))
        #expect(shown.contains("rules:          none"))

        #expect(try sandbox.ok(["workspace", "rm", "demo"]) == "Removed workspace 'demo'.\n")
        try sandbox.fails(["workspace", "show", "demo"], "workspace 'demo' not found", "junction workspace list")
    }

    @Test("--json has the REST field names")
    func json() throws {
        let added = try sandbox.jsonObject([
            "workspace", "add", "demo", "--root", "/src/demo", "--tag", "a=b", "--json",
        ])
        let listed = try sandbox.jsonArray(["workspace", "list", "--json"])
        let shown = try sandbox.jsonObject(["workspace", "show", "demo", "--json"])

        #expect(listed.count == 1)
        for object in [added, listed[0], shown] {
            #expect(object["name"] as? String == "demo")
            #expect(object["root_path"] as? String == "/src/demo")
            #expect(object["default_policy"] as? String == "allow")
            #expect(object["tags"] as? [String: String] == ["a": "b"])
            #expect((object["id"] as? String)?.count == 26)
            #expect(object["created_at"] is String && object["updated_at"] is String)
            #expect(object["rootPath"] == nil)
        }
        #expect(shown["id"] as? String == added["id"] as? String)
        try sandbox.ok(["workspace", "rm", try #require(added["id"] as? String)])
        #expect(try sandbox.jsonArray(["workspace", "list", "--json"]).isEmpty)
    }

    @Test("a relative root resolves against the current folder")
    func relativeRoot() throws {
        let object = try sandbox.jsonObject(["workspace", "add", "rel", "--root", "projects/../app/", "--json"])
        #expect(object["root_path"] as? String == sandbox.path("work/app"))
        let dot = try sandbox.jsonObject(["workspace", "add", "here", "--root", ".", "--json"])
        #expect(dot["root_path"] as? String == sandbox.path("work"))
    }

    @Test("bad input: an invalid name, a duplicate name or root, an unknown workspace")
    func badInput() throws {
        try sandbox.fails(
            ["workspace", "add", "my workspace", "--root", "app"], "invalid workspace name 'my workspace'")
        try sandbox.ok(["workspace", "add", "demo", "--root", "/src/demo"])
        try sandbox.fails(
            ["workspace", "add", "demo", "--root", "/src/other"], "a workspace named 'demo' already exists")
        try sandbox.fails(
            ["workspace", "add", "other", "--root", "/src/x/../demo"],
            "a workspace with root '/src/demo' already exists")
        try sandbox.fails(["workspace", "show", "nope"], "workspace 'nope' not found")
        try sandbox.fails(["workspace", "rm", "nope"], "workspace 'nope' not found")
        try sandbox.fails(["workspace", "add", "t", "--root", "/t", "--tag", "novalue"], "expected KEY=VALUE")
        #expect(try sandbox.jsonArray(["workspace", "list", "--json"]).count == 1)
    }

    @Test("removing a workspace removes its rules and says how many")
    func removeWithRules() throws {
        try sandbox.ok(["workspace", "add", "demo", "--root", "/src/demo"])
        try sandbox.ok(["route", "add", "--workspace", "demo", "--tool", "a__*"])
        try sandbox.ok(["route", "add", "--workspace", "demo", "--tool", "b__*", "--policy", "deny"])
        let shown = try sandbox.ok(["workspace", "show", "demo"])
        #expect(shown.contains("a__*") && shown.contains("b__*"))
        #expect(try sandbox.ok(["workspace", "rm", "demo"]) == "Removed workspace 'demo' and its 2 rule(s).\n")
        #expect(try sandbox.jsonArray(["route", "list", "--json"]).isEmpty)
    }
}
