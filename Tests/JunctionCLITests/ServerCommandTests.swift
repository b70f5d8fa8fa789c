import Foundation
import Testing

@Suite("junction server")
struct ServerCommandTests {
    let sandbox: CLISandbox

    init() throws {
        sandbox = try CLISandbox()
    }

    @Test("add a stdio server with -- COMMAND ARGS, including args that start with '-'")
    func addStdio() throws {
        let stdout = try sandbox.ok([
            "server", "add", "GitHub", "--env", "LOG=debug", "--env", "MODE=a=b", "--", "npx", "-y",
            "@modelcontextprotocol/server-github", "--port", "-1", "--", "--json",
        ])
        #expect(stdout == "Added server 'GitHub'; its tools appear as github__<tool>.\n")

        let server = try sandbox.jsonObject(["server", "show", "GitHub", "--json"])
        #expect(server["name"] as? String == "GitHub")
        #expect(server["namespace"] as? String == "github")
        #expect(server["transport"] as? String == "stdio")
        #expect(server["command"] as? String == "npx")
        #expect(
            server["args"] as? [String] == [
                "-y", "@modelcontextprotocol/server-github", "--port", "-1", "--", "--json",
            ])
        #expect(server["env"] as? [String: String] == ["LOG": "debug", "MODE": "a=b"])
        #expect(server["instance_mode"] as? String == "shared")
        #expect(server["enabled"] as? Bool == true)
        #expect(server["url"] is NSNull)
    }

    @Test("--namespace, --instance per-session, --cwd and timeouts are stored")
    func addOptions() throws {
        let server = try sandbox.jsonObject([
            "server", "add", "fs", "--namespace", "files", "--instance", "per-session", "--cwd", "srv/../data",
            "--idle-timeout", "0", "--call-timeout", "30", "--disabled", "--json", "--", "fs-mcp", "/data",
        ])
        #expect(server["namespace"] as? String == "files")
        #expect(server["instance_mode"] as? String == "per_session")
        #expect(server["cwd"] as? String == sandbox.path("work/data"))
        #expect(server["idle_timeout_sec"] as? Int == 0 && server["call_timeout_sec"] as? Int == 30)
        #expect(server["enabled"] as? Bool == false)
        #expect(server["args"] as? [String] == ["/data"])
    }

    @Test("add an http server with --url")
    func addHTTP() throws {
        let server = try sandbox.jsonObject([
            "server", "add", "remote", "--url", "https://mcp.example.com/mcp", "--header", "X-Team=core", "--json",
        ])
        #expect(server["transport"] as? String == "http")
        #expect(server["url"] as? String == "https://mcp.example.com/mcp")
        #expect(server["headers"] as? [String: String] == ["X-Team": "core"])
        #expect(server["command"] is NSNull)
        #expect(server["http_transport"] as? String == "auto")
        #expect(try sandbox.ok(["server", "list"]).contains("https://mcp.example.com/mcp"))
    }

    @Test("--transport pins the HTTP flavour of a URL server, and show prints it")
    func addHTTPTransport() throws {
        let server = try sandbox.jsonObject([
            "server", "add", "legacy", "--url", "https://mcp.example.com/sse", "--transport", "sse", "--json",
        ])
        #expect(server["http_transport"] as? String == "sse")
        #expect(try sandbox.ok(["server", "show", "legacy"]).contains("transport:    http (sse)"))
        for arguments in [
            ["server", "add", "x", "--transport", "sse", "--", "cmd"],
            ["server", "add", "y", "--url", "https://e.example/mcp", "--transport", "grpc"],
        ] {
            let result = try sandbox.run(arguments)
            #expect(result.exitCode != 0 && (result.stderr.contains("--transport") || result.stderr.contains("grpc")))
        }
    }

    @Test("list, show, disable, enable and rm")
    func flow() throws {
        #expect(try sandbox.ok(["server", "list"]).contains("No servers"))
        try sandbox.ok(["server", "add", "gh", "--", "gh-mcp", "stdio", "--read-only"])
        try sandbox.ok(["server", "add", "fs", "--", "fs mcp"])

        let table = try sandbox.ok(["server", "list"]).split(separator: "\n")
        #expect(table.count == 3)
        #expect(table[1].hasPrefix("fs") && table[1].contains("'fs mcp'"))
        #expect(
            table[2].hasPrefix("gh") && table[2].contains("gh-mcp stdio --read-only") && table[2].contains("enabled"))

        #expect(try sandbox.ok(["server", "disable", "gh"]) == "Server 'gh' is disabled.\n")
        #expect(try sandbox.jsonObject(["server", "show", "gh", "--json"])["enabled"] as? Bool == false)
        #expect(try sandbox.ok(["server", "show", "gh"]).contains("state:        disabled"))
        #expect(try sandbox.ok(["server", "enable", "gh"]) == "Server 'gh' is enabled.\n")
        #expect(try sandbox.jsonObject(["server", "show", "gh", "--json"])["enabled"] as? Bool == true)

        let listed = try sandbox.jsonArray(["server", "list", "--json"])
        #expect(listed.compactMap { $0["name"] as? String } == ["fs", "gh"])
        for key in ["namespace", "command", "args", "env", "instance_mode", "enabled", "id"] {
            #expect(listed.allSatisfy { $0[key] != nil }, "missing \(key)")
        }

        #expect(try sandbox.ok(["server", "rm", "gh"]) == "Removed server 'gh'.\n")
        try sandbox.fails(["server", "show", "gh"], "server 'gh' not found", "junction server list")
        try sandbox.fails(["server", "enable", "gh"], "server 'gh' not found")
    }

    @Test("bad input: duplicate name or namespace, invalid namespace, bad url, bad env key")
    func badInput() throws {
        try sandbox.ok(["server", "add", "gh", "--", "gh-mcp"])
        try sandbox.fails(["server", "add", "gh", "--", "other"], "a server named 'gh' already exists")
        try sandbox.fails(["server", "add", "GH", "--", "other"], "a server with namespace 'gh' already exists")
        try sandbox.fails(["server", "add", "x", "--namespace", "Bad_NS", "--", "x"], "invalid namespace 'Bad_NS'")
        try sandbox.fails(["server", "add", "x", "--url", "ftp://example.com"], "needs an http:// or https:// url")
        try sandbox.fails(["server", "add", "x", "--env", "1BAD=v", "--", "x"], "invalid variable name '1BAD'")
        try sandbox.fails(["server", "add", "x", "--call-timeout", "0", "--", "x"], "call timeout")
        try sandbox.fails(["server", "add", "bad name", "--", "x"], "invalid server name 'bad name'")
        #expect(try sandbox.jsonArray(["server", "list", "--json"]).count == 1)
    }

    @Test("removing a server in use needs --force, which also removes its rules and scopes")
    func removeInUse() throws {
        try sandbox.ok(["server", "add", "gh", "--", "gh-mcp"])
        try sandbox.ok(["scope", "add", "gh-work", "--server", "gh", "--env", "TOKEN=x"])
        try sandbox.ok(["route", "add", "--global", "--tool", "gh__*", "--server", "gh", "--name", "gh-all"])

        try sandbox.fails(["server", "rm", "gh"], "server 'gh' is used by route 'gh-all'", "--force")
        #expect(try sandbox.jsonArray(["server", "list", "--json"]).count == 1)

        let stdout = try sandbox.ok(["server", "rm", "gh", "--force"])
        #expect(stdout == "Removed server 'gh' with 1 auth scope(s) and 1 route rule(s).\n")
        #expect(try sandbox.jsonArray(["route", "list", "--json"]).isEmpty)
        #expect(try sandbox.jsonArray(["scope", "list", "--json"]).isEmpty)
    }
}
