import Foundation
import HTTPTypes
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Admin API: downstream servers")
struct DownstreamControllerTests {
    @Test("create, list, get by id and by name, update, delete; reads carry status and tool count")
    func lifecycle() async throws {
        try await APIHarness().test { client in
            let created = try await client.post(
                "/api/v1/downstreams",
                #"""
                {"name": "GitHub", "command": "npx", "args": ["-y", "server-github"], "env": {"LOG": "1"},
                 "instance_mode": "per-session", "idle_timeout_sec": 0, "tags": {"k": "v"}}
                """#)
            #expect(created.status == .created, "\(created.body)")
            let json = try created.json()
            let id = try #require(json["id"] as? String)
            #expect(json["name"] as? String == "GitHub")
            #expect(json["namespace"] as? String == "github")
            #expect(json["transport"] as? String == "stdio")
            #expect(json["command"] as? String == "npx")
            #expect(json["args"] as? [String] == ["-y", "server-github"])
            #expect(json["env"] as? [String: String] == ["LOG": "1"])
            #expect(json["instance_mode"] as? String == "per_session")
            #expect(json["idle_timeout_sec"] as? Int == 0)
            #expect(json["call_timeout_sec"] as? Int == Downstream.defaultCallTimeoutSec)
            #expect(json["enabled"] as? Bool == true)
            #expect(json["url"] is NSNull)
            #expect(json["tool_count"] as? Int == 0)
            let status = try #require(json["status"] as? [String: Any])
            #expect(status["state"] as? String == "stopped")
            #expect(status["instances"] as? Int == 0)
            #expect(status["crashes"] as? Int == 0)

            let list = try await client.get("/api/v1/downstreams").jsonArray()
            #expect(list.map { $0["id"] as? String } == [id])
            #expect((list.first?["status"] as? [String: Any])?["state"] as? String == "stopped")

            for key in [id, "GitHub"] {
                let shown = try await client.get("/api/v1/downstreams/\(key)")
                #expect(shown.status == .ok)
                #expect(try shown.json()["id"] as? String == id)
            }

            let updated = try await client.put(
                "/api/v1/downstreams/GitHub", #"{"call_timeout_sec": 5, "enabled": false, "args": []}"#)
            #expect(updated.status == .ok, "\(updated.body)")
            let after = try updated.json()
            #expect(after["call_timeout_sec"] as? Int == 5)
            #expect(after["enabled"] as? Bool == false)
            #expect(after["args"] as? [String] == [])
            #expect(after["command"] as? String == "npx", "absent fields keep their value")
            #expect(after["env"] as? [String: String] == ["LOG": "1"])
            #expect(after["status"] is [String: Any])

            #expect(try await client.delete("/api/v1/downstreams/\(id)").status == .noContent)
            #expect(try await client.get("/api/v1/downstreams/\(id)").status == .notFound)
        }
    }

    @Test("a url makes an http server; an update can switch transports by clearing one side")
    func transports() async throws {
        try await APIHarness().test { client in
            let http = try await client.post(
                "/api/v1/downstreams",
                #"{"name": "remote", "url": "https://mcp.example.com/mcp", "headers": {"X-Team": "a"}, "command": ""}"#)
            #expect(http.status == .created, "\(http.body)")
            #expect(try http.json()["transport"] as? String == "http")
            #expect(try http.json()["command"] is NSNull)

            let toStdio = try await client.put("/api/v1/downstreams/remote", #"{"url": null, "command": "srv"}"#)
            #expect(toStdio.status == .ok, "\(toStdio.body)")
            #expect(try toStdio.json()["transport"] as? String == "stdio")
            #expect(try toStdio.json()["url"] is NSNull)

            let back = try await client.put(
                "/api/v1/downstreams/remote", #"{"url": "http://127.0.0.1:9/mcp", "command": ""}"#)
            #expect(back.status == .ok, "\(back.body)")
            #expect(try back.json()["transport"] as? String == "http")

            let withCwd = try await client.post(
                "/api/v1/downstreams", #"{"name": "local", "command": "srv", "cwd": "/opt//srv/"}"#)
            #expect(try withCwd.json()["cwd"] as? String == "/opt/srv")
            let cleared = try await client.put("/api/v1/downstreams/local", #"{"cwd": null}"#)
            #expect(try cleared.json()["cwd"] is NSNull)
        }
    }

    @Test(
        "invalid input is 400 naming the field, and nothing is created",
        arguments: [
            (#"{"command": "x"}"#, "name"),
            (#"{"name": "a"}"#, "command"),
            (#"{"name": "a", "command": "x", "url": "https://h/mcp"}"#, "url"),
            (#"{"name": "a b", "command": "x"}"#, "name"),
            (#"{"name": "a", "command": "x", "namespace": "Upper"}"#, "namespace"),
            (#"{"name": "a", "command": "x", "transport": "carrier-pigeon"}"#, "transport"),
            (#"{"name": "a", "transport": "http", "url": "ftp://h/"}"#, "url"),
            (#"{"name": "a", "transport": "stdio", "url": "https://h/mcp"}"#, "command"),
            (#"{"name": "a", "command": "x", "instance_mode": "sometimes"}"#, "instance_mode"),
            (#"{"name": "a", "command": "x", "call_timeout_sec": 0}"#, "call_timeout_sec"),
            (#"{"name": "a", "command": "x", "idle_timeout_sec": -1}"#, "idle_timeout_sec"),
            (#"{"name": "a", "command": "x", "idle_timeout_sec": 1.5}"#, "idle_timeout_sec"),
            (#"{"name": "a", "command": "x", "args": "--flag"}"#, "args"),
            (#"{"name": "a", "command": "x", "args": [1]}"#, "args[0]"),
            (#"{"name": "a", "command": "x", "env": {"1BAD": "v"}}"#, "env"),
            (#"{"name": "a", "command": "x", "env": {"K": 1}}"#, "env.K"),
            (#"{"name": "a", "command": "x", "headers": {"bad header": "v"}}"#, "headers"),
            (#"{"name": "a", "command": "x", "cwd": "relative"}"#, "cwd"),
            (#"{"name": "a", "command": "x", "enabled": "yes"}"#, "enabled"),
        ])
    func invalidCreate(body: String, field: String) async throws {
        try await APIHarness().test { client in
            let reply = try await client.post("/api/v1/downstreams", body)
            try reply.expectRefused(.badRequest, field: field)
            #expect(try await client.get("/api/v1/downstreams").jsonArray().isEmpty)
        }
    }

    @Test(
        "an invalid update is 400 naming the field and changes nothing",
        arguments: [
            (#"{"name": null}"#, "name"),
            (#"{"command": null}"#, "command"),
            (#"{"args": null}"#, "args"),
            (#"{"namespace": "no way"}"#, "namespace"),
            (#"{"call_timeout_sec": -3}"#, "call_timeout_sec"),
            (#"{"instance_mode": 1}"#, "instance_mode"),
            (#"{"transport": "http"}"#, "url"),
        ])
    func invalidUpdate(body: String, field: String) async throws {
        try await APIHarness().test { client in
            _ = try await client.post("/api/v1/downstreams", #"{"name": "a", "command": "x"}"#)
            let reply = try await client.put("/api/v1/downstreams/a", body)
            try reply.expectRefused(.badRequest, field: field)
            let stored = try await client.get("/api/v1/downstreams/a").json()
            #expect(stored["command"] as? String == "x")
            #expect(stored["transport"] as? String == "stdio")
        }
    }

    @Test("a taken name or namespace is 409 naming the field")
    func conflicts() async throws {
        try await APIHarness().test { client in
            _ = try await client.post("/api/v1/downstreams", #"{"name": "a", "command": "x"}"#)
            _ = try await client.post("/api/v1/downstreams", #"{"name": "b", "command": "x"}"#)
            let cases: [(APIClient.Reply, String)] = [
                (
                    try await client.post("/api/v1/downstreams", #"{"name": "a", "command": "x", "namespace": "z"}"#),
                    "name"
                ),
                (
                    try await client.post("/api/v1/downstreams", #"{"name": "c", "command": "x", "namespace": "a"}"#),
                    "namespace"
                ),
                (try await client.put("/api/v1/downstreams/b", #"{"name": "a"}"#), "name"),
                (try await client.put("/api/v1/downstreams/b", #"{"namespace": "a"}"#), "namespace"),
            ]
            for (reply, field) in cases {
                try reply.expectRefused(.conflict, field: field)
            }
        }
    }

    @Test("unknown ids are 404 on every route")
    func unknown() async throws {
        try await APIHarness().test { client in
            let replies = [
                try await client.get("/api/v1/downstreams/nope"),
                try await client.put("/api/v1/downstreams/nope", #"{"enabled": false}"#),
                try await client.delete("/api/v1/downstreams/nope"),
                try await client.request(.post, "/api/v1/downstreams/nope/discover"),
                try await client.request(.post, "/api/v1/downstreams/nope/restart"),
                try await client.request(.post, "/api/v1/downstreams/nope/stop"),
                try await client.get("/api/v1/downstreams/nope/tools"),
                try await client.get("/api/v1/downstreams/nope/logs"),
            ]
            for reply in replies {
                #expect(reply.status == .notFound, "\(reply.body)")
                #expect(try reply.json()["code"] as? String == "not_found")
            }
        }
    }

    @Test("deleting a server that rules use is 409 until ?force=true, which deletes them with its scopes")
    func deleteInUse() async throws {
        let harness = try APIHarness()
        let server = try DownstreamRepository(harness.database).create(Downstream(name: "gh", command: "x"))
        let scope = try AuthScopeRepository(harness.database, box: SecretBox.load(home: harness.home)).create(
            name: "gh-token", server: server.id, secrets: .init(env: ["TOKEN": "t"]))
        try RouteRuleRepository(harness.database).create(
            RouteRule(name: "by-scope", toolPattern: "gh__*", authScopeId: scope.id))
        try RouteRuleRepository(harness.database).create(RouteRule(name: "other", toolPattern: "x__*"))
        try await harness.test { client in
            let refused = try await client.delete("/api/v1/downstreams/gh")
            #expect(refused.status == .conflict)
            let message = try #require(try refused.json()["error"] as? String)
            #expect(message.contains("by-scope") && message.contains("force=true"))
            #expect(try await client.get("/api/v1/downstreams/gh").status == .ok)

            #expect(try await client.delete("/api/v1/downstreams/gh?force=false").status == .conflict)
            #expect(try await client.delete("/api/v1/downstreams/gh?force=maybe").status == .badRequest)
            #expect(try await client.delete("/api/v1/downstreams/gh?force=true").status == .noContent)
            #expect(try await client.get("/api/v1/downstreams/gh").status == .notFound)
            #expect(try await client.get("/api/v1/auth-scopes").jsonArray().isEmpty)
            let rules = try await client.get("/api/v1/routes").jsonArray()
            #expect(rules.map { $0["name"] as? String } == ["other"])
        }
    }

    @Test("tools come from the stored catalog, by kind; the tool count follows it")
    func tools() async throws {
        let harness = try APIHarness()
        let server = try DownstreamRepository(harness.database).create(Downstream(name: "fs", command: "x"))
        let catalog = CatalogRepository(harness.database)
        try catalog.replace(
            downstreamId: server.id, kind: .tool,
            entries: ["read", "write"].map {
                .init(
                    name: $0, description: "\($0) a file", inputSchema: #"{"type":"object"}"#,
                    raw: #"{"name":"\#($0)"}"#)
            })
        try catalog.replace(
            downstreamId: server.id, kind: .prompt, entries: [.init(name: "summarise", raw: #"{"name":"summarise"}"#)])
        try await harness.test { client in
            let tools = try await client.get("/api/v1/downstreams/fs/tools")
            #expect(tools.status == .ok)
            let entries = try tools.jsonArray()
            #expect(entries.map { $0["name"] as? String } == ["read", "write"])
            #expect(entries.first?["server_id"] as? String == server.id)
            #expect((entries.first?["input_schema"] as? [String: Any])?["type"] as? String == "object")
            #expect(try await client.get("/api/v1/downstreams/fs/tools?kind=prompt").jsonArray().count == 1)
            #expect(try await client.get("/api/v1/downstreams/fs/tools?kind=all").jsonArray().count == 3)
            let badKind = try await client.get("/api/v1/downstreams/fs/tools?kind=widgets")
            try badKind.expectRefused(.badRequest, field: "kind")

            #expect(try await client.get("/api/v1/downstreams/fs").json()["tool_count"] as? Int == 2)
            #expect(try await client.get("/api/v1/downstreams").jsonArray().first?["tool_count"] as? Int == 2)
        }
    }

    @Test("logs are the tail of the server's log file, rotated file included; none before it ran")
    func logs() async throws {
        let harness = try APIHarness()
        try DownstreamRepository(harness.database).create(Downstream(name: "fs", command: "x"))
        try await harness.test { client in
            let empty = try await client.get("/api/v1/downstreams/fs/logs")
            #expect(empty.status == .ok)
            #expect(try empty.json()["lines"] as? [String] == [])

            let logs = harness.home.logsPath
            try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
            try "old 1\nold 2\n".write(toFile: logs + "/fs.log.1", atomically: true, encoding: .utf8)
            try "one\ntwo\nthree\n".write(toFile: logs + "/fs.log", atomically: true, encoding: .utf8)
            let two = try await client.get("/api/v1/downstreams/fs/logs?lines=2")
            #expect(try two.json()["lines"] as? [String] == ["two", "three"])
            let all = try await client.get("/api/v1/downstreams/fs/logs")
            #expect(try all.json()["lines"] as? [String] == ["old 1", "old 2", "one", "two", "three"])

            for bad in ["0", "-1", "ten", "100001"] {
                let reply = try await client.get("/api/v1/downstreams/fs/logs?lines=\(bad)")
                try reply.expectRefused(.badRequest, field: "lines")
            }
        }
    }

    @Test("the log tail reads long files from the end, across block boundaries")
    func lastLines() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("big.log")
        let lines = (1...20_000).map { "line \($0) " + String(repeating: "x", count: $0 % 50) }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(DownstreamController.lastLines(ofFile: path, count: 3) == Array(lines.suffix(3)))
        #expect(DownstreamController.lastLines(ofFile: path, count: 5000) == Array(lines.suffix(5000)))
        #expect(DownstreamController.lastLines(ofFile: path, count: 30_000) == lines)

        let partial = directory.file("partial.log")
        try "a\nb\nno newline yet".write(toFile: partial, atomically: true, encoding: .utf8)
        #expect(DownstreamController.lastLines(ofFile: partial, count: 2) == ["b", "no newline yet"])
        #expect(DownstreamController.lastLines(ofFile: directory.file("missing.log"), count: 2) == [])
    }
}
