import Foundation
import JunctionCore
import JunctionStore
import Testing

@Suite("DownstreamRepository")
struct DownstreamRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    @Test("a stdio server round-trips every field and is found by id and by name")
    func createStdio() throws {
        let created = try store.downstreams.create(
            Downstream(
                name: "github", namespace: "gh", command: "npx", args: ["-y", "@mcp/github", "--flag"],
                env: ["LOG_LEVEL": "debug"], cwd: "/srv/./gh/", enabled: false, instanceMode: .perSession,
                idleTimeoutSec: 0, callTimeoutSec: 30, tags: ["team": "core"]))

        for key in [created.id, "github"] {
            let stored = try store.downstreams.get(key)
            #expect(stored.id == created.id)
            #expect(stored.name == "github" && stored.namespace == "gh")
            #expect(stored.transport == .stdio)
            #expect(stored.command == "npx" && stored.args == ["-y", "@mcp/github", "--flag"])
            #expect(stored.env == ["LOG_LEVEL": "debug"])
            #expect(stored.cwd == "/srv/gh")
            #expect(stored.url == nil && stored.headers.isEmpty)
            #expect(!stored.enabled && !stored.quarantined)
            #expect(stored.instanceMode == .perSession)
            #expect(stored.idleTimeoutSec == 0 && stored.callTimeoutSec == 30)
            #expect(stored.tags == ["team": "core"])
        }
        #expect(try store.downstreams.find("nope") == nil)
        #expect(throws: StoreError.notFound(kind: "server", key: "nope")) { try store.downstreams.get("nope") }
    }

    @Test("an http server keeps its url and headers")
    func createHTTP() throws {
        try store.downstreams.create(
            Downstream(
                name: "remote", transport: .http, url: "https://mcp.example.com/mcp", headers: ["X-Team": "core"]))
        let stored = try store.downstreams.get("remote")
        #expect(stored.transport == .http && stored.command == nil)
        #expect(stored.url == "https://mcp.example.com/mcp" && stored.headers == ["X-Team": "core"])
        #expect(stored.namespace == "remote")
    }

    @Test("servers are listed by name")
    func listOrder() throws {
        for name in ["b", "c", "a"] { try store.server(name) }
        #expect(try store.downstreams.list().map(\.name) == ["a", "b", "c"])
    }

    static let defaultNamespaces: [(String, String)] = [
        ("github", "github"),
        ("My.Server", "my-server"),
        ("GitHub_Tools-2", "github-tools-2"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwx"),
    ]

    @Test(
        "the default namespace is the lowercased name with other characters as '-', cut to 24",
        arguments: defaultNamespaces)
    func defaultNamespace(name: String, namespace: String) throws {
        let created = try store.downstreams.create(Downstream(name: name, command: "x"))
        #expect(created.namespace == namespace)
        #expect(try store.downstreams.get(name).namespace == namespace)
    }

    @Test("the default namespace of 'My Server' is 'my-server'")
    func defaultNamespaceOfSpacedName() {
        #expect(Downstream.defaultNamespace(forName: "My Server") == "my-server")
        #expect(Downstream.defaultNamespace(forName: String(repeating: "A", count: 40)).count == 24)
    }

    static let invalidNamespaces = ["GH", "g_h", "g.h", "", String(repeating: "n", count: 25), "über"]

    @Test("invalid explicit namespaces are refused", arguments: invalidNamespaces)
    func invalidNamespace(namespace: String) throws {
        expectInvalid("namespace", "invalid namespace", "1-24 characters from a-z 0-9 -") {
            try store.downstreams.create(Downstream(name: "s", namespace: namespace, command: "x"))
        }
    }

    @Test("a 24-character namespace is accepted")
    func longestNamespace() throws {
        let namespace = String(repeating: "n", count: 23) + "-"
        #expect(try store.server("s", namespace: namespace).namespace == namespace)
    }

    @Test("invalid server names are refused", arguments: ["", String(repeating: "s", count: 65), "My Server", "a/b"])
    func invalidName(name: String) throws {
        expectInvalid("name", "invalid server name") {
            try store.downstreams.create(Downstream(name: name, namespace: "ok", command: "x"))
        }
    }

    @Test("a duplicate name is refused")
    func duplicateName() throws {
        try store.server("gh", namespace: "one")
        #expect(throws: StoreError.duplicate(kind: "server", field: "name", value: "gh")) {
            try store.server("gh", namespace: "two")
        }
    }

    @Test("a duplicate namespace is refused, explicit or derived from the name")
    func duplicateNamespace() throws {
        try store.server("my-server")
        let error = #expect(throws: StoreError.duplicate(kind: "server", field: "namespace", value: "my-server")) {
            try store.server("My.Server")
        }
        #expect(error?.description == "a server with namespace 'my-server' already exists")
        #expect(throws: StoreError.duplicate(kind: "server", field: "namespace", value: "my-server")) {
            try store.server("other", namespace: "my-server")
        }
    }

    @Test("a stdio server without a command is refused", arguments: [nil, "", "   "] as [String?])
    func stdioWithoutCommand(command: String?) throws {
        expectInvalid("command", "needs a command", "junction server add NAME --") {
            try store.downstreams.create(Downstream(name: "s", command: command))
        }
    }

    @Test("a stdio server with a url is refused")
    func stdioWithURL() throws {
        expectInvalid("url", "a stdio server has no url") {
            try store.downstreams.create(Downstream(name: "s", command: "x", url: "https://example.com"))
        }
    }

    @Test(
        "an http server without a valid http(s) url is refused",
        arguments: [nil, "", "not a url", "example.com/mcp", "ftp://example.com/mcp", "http://", "file:///tmp/x"]
            as [String?])
    func httpWithBadURL(url: String?) throws {
        expectInvalid("url", "an http server needs an http:// or https:// url") {
            try store.downstreams.create(Downstream(name: "s", transport: .http, url: url))
        }
    }

    @Test("an http server with a command is refused")
    func httpWithCommand() throws {
        expectInvalid("command", "an http server has no command") {
            try store.downstreams.create(
                Downstream(name: "s", transport: .http, command: "x", url: "http://localhost:8080/mcp"))
        }
    }

    @Test("negative idle timeouts and non-positive call timeouts are refused")
    func timeouts() throws {
        expectInvalid("idle_timeout_sec", "idle timeout") {
            try store.downstreams.create(Downstream(name: "s", command: "x", idleTimeoutSec: -1))
        }
        expectInvalid("call_timeout_sec", "call timeout must be 1 to 604800 seconds") {
            try store.downstreams.create(Downstream(name: "s", command: "x", callTimeoutSec: 0))
        }
        expectInvalid("call_timeout_sec", "call timeout") {
            try store.downstreams.create(Downstream(name: "s", command: "x", callTimeoutSec: -5))
        }
        #expect(try store.downstreams.list().isEmpty)
    }

    @Test("invalid environment and header names are refused", arguments: ["1ABC", "A B", "", "A=B", "-X"])
    func badVariableNames(key: String) throws {
        expectInvalid("env", "invalid variable name") {
            try store.downstreams.create(Downstream(name: "s", command: "x", env: [key: "v"]))
        }
        expectInvalid("headers", "invalid variable name") {
            try store.downstreams.create(
                Downstream(name: "h", transport: .http, url: "https://example.com", headers: [key: "v"]))
        }
    }

    @Test("a relative working directory is refused")
    func relativeCwd() throws {
        expectInvalid("cwd", "invalid working directory") {
            try store.downstreams.create(Downstream(name: "s", command: "x", cwd: "relative/dir"))
        }
    }

    @Test("an update replaces values; it may not take another server's name or namespace")
    func update() throws {
        var gh = try store.server("gh")
        try store.server("other")
        gh.command = "/opt/gh"
        gh.args = ["serve"]
        gh.namespace = "github"
        try store.downstreams.update(gh)
        let stored = try store.downstreams.get("gh")
        #expect(stored.command == "/opt/gh" && stored.args == ["serve"] && stored.namespace == "github")

        gh.namespace = "other"
        #expect(throws: StoreError.duplicate(kind: "server", field: "namespace", value: "other")) {
            try store.downstreams.update(gh)
        }
        gh.namespace = "github"
        gh.callTimeoutSec = 0
        expectInvalid("call_timeout_sec", "call timeout") { try store.downstreams.update(gh) }
        let ghost = Downstream(name: "ghost", command: "x")
        #expect(throws: StoreError.notFound(kind: "server", key: ghost.id)) { try store.downstreams.update(ghost) }
    }

    @Test("servers can be disabled and enabled by name or id")
    func enableDisable() throws {
        let gh = try store.server("gh")
        #expect(try store.downstreams.setEnabled("gh", false).enabled == false)
        #expect(try store.downstreams.get("gh").enabled == false)
        #expect(try store.downstreams.setEnabled(gh.id, true).enabled == true)
        #expect(try store.downstreams.get("gh").enabled == true)
        #expect(throws: StoreError.notFound(kind: "server", key: "nope")) {
            try store.downstreams.setEnabled("nope", true)
        }
    }

    @Test("deleting a server deletes its auth scopes")
    func deleteCascadesScopes() throws {
        try store.server("gh")
        try store.server("other")
        try store.scope("gh-work", server: "gh")
        try store.scope("other-work", server: "other")

        let deletion = try store.downstreams.delete("gh")

        #expect(deletion.downstream.name == "gh")
        #expect(deletion.deletedScopes.map(\.name) == ["gh-work"])
        #expect(deletion.deletedRules.isEmpty)
        #expect(try store.scopes().list().map(\.name) == ["other-work"])
        #expect(try store.downstreams.find("gh") == nil)
    }

    @Test("deleting a server that a rule names fails with .inUse listing the rule")
    func deleteInUse() throws {
        let gh = try store.server("gh")
        let named = try store.rule("gh__*", name: "gh-rule", server: gh)
        let unnamed = try store.rule("gh__read", server: gh)

        let error = #expect(throws: StoreError.self) { try store.downstreams.delete("gh") }
        // Dependents come in rule id order.
        let expected = [(named.id, "route 'gh-rule'"), (unnamed.id, "route \(unnamed.id)")]
            .sorted { $0.0 < $1.0 }.map(\.1)
        #expect(error == .inUse(kind: "server", name: "gh", dependents: expected))
        #expect(error?.description.contains("remove those first or use --force") == true)
        #expect(try store.downstreams.find("gh") != nil)
        #expect(try store.routes.list().count == 2)
    }

    @Test("with force, deleting a server in use deletes its rules and scopes, and nothing else")
    func deleteInUseWithForce() throws {
        let gh = try store.server("gh")
        let other = try store.server("other")
        let scope = try store.scope("gh-work", server: "gh")
        let workspace = try store.workspace("demo")
        try store.rule("gh__*", name: "by-server", workspace: workspace, server: gh)
        try store.rule("gh__write", name: "by-scope", scope: scope)
        try store.rule("other__*", name: "unrelated", server: other)

        let deletion = try store.downstreams.delete("gh", force: true)

        #expect(Set(deletion.deletedRules.compactMap(\.name)) == ["by-server", "by-scope"])
        #expect(deletion.deletedScopes.map(\.name) == ["gh-work"])
        #expect(try store.routes.list().compactMap(\.name) == ["unrelated"])
        #expect(try store.scopes().list().isEmpty)
        #expect(try store.workspaces.find("demo") != nil)
    }
}
