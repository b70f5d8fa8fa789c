import Foundation
import HTTPTypes
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

/// MCPProxy's API over a real engine, database and downstream process (the gateway tests' fake
/// MCP server, run with python3).
@Suite("MCPProxy API")
struct MCPProxyControllerTests {
    private func harness() async throws -> APIHarness {
        let harness = try APIHarness()
        await harness.engine.prepare()
        return harness
    }

    private static func data(_ reply: APIClient.Reply) throws -> [String: Any] {
        let json = try reply.json()
        #expect(json["success"] as? Bool == true, "\(reply.body)")
        return try #require(json["data"] as? [String: Any], "no data: \(reply.body)")
    }

    private static func server(_ reply: APIClient.Reply, _ name: String) throws -> [String: Any] {
        let servers = try #require(try data(reply)["servers"] as? [[String: Any]])
        return try #require(servers.first { $0["name"] as? String == name }, "no \(name) in \(reply.body)")
    }

    @Test("servers list the pool's real state with a unified health; status counts them")
    func servers() async throws {
        let harness = try await harness()
        try await harness.test { client in
            _ = try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "fake"))
            _ = try await client.post(
                "/api/v1/downstreams", JSON.text(["name": "broken", "command": "/nonexistent/mcp-server"]))

            var fake = try Self.server(try await client.get("/api/v1/servers"), "fake")
            #expect(fake["protocol"] as? String == "stdio")
            #expect(fake["url"] is NSNull && fake["last_error"] is NSNull, "absent values are null, not left out")
            #expect(fake["connected"] as? Bool == false)
            #expect((fake["health"] as? [String: Any])?["level"] as? String == "healthy")

            let restarted = try await client.request(.post, "/api/v1/servers/fake/restart")
            #expect(restarted.status == .ok, "\(restarted.body)")
            #expect(try Self.data(restarted)["action"] as? String == "restart")
            fake = try Self.server(try await client.get("/api/v1/servers"), "fake")
            #expect(fake["connected"] as? Bool == true)
            #expect(fake["enabled"] as? Bool == true && fake["quarantined"] as? Bool == false)
            #expect(fake["tool_count"] as? Int == FakeDownstream.tools.count)
            let health = try #require(fake["health"] as? [String: Any])
            #expect(health["level"] as? String == "healthy")
            #expect(health["admin_state"] as? String == "enabled")
            #expect(health["summary"] as? String == "Connected (\(FakeDownstream.tools.count) tools)")
            #expect(health["action"] as? String == "")

            let failed = try await client.request(.post, "/api/v1/servers/broken/restart")
            #expect(failed.status == .conflict, "\(failed.body)")
            #expect(try failed.json()["code"] as? String == "server_unavailable")
            let broken = try Self.server(try await client.get("/api/v1/servers"), "broken")
            let brokenHealth = try #require(broken["health"] as? [String: Any])
            #expect(brokenHealth["level"] as? String == "unhealthy")
            // A failed start is in backoff for a moment, then stopped with its error: unhealthy either way.
            #expect(["view_logs", "restart"].contains(brokenHealth["action"] as? String ?? ""))
            #expect(brokenHealth["detail"] is String)

            let status = try await client.get("/api/v1/status").json()
            #expect(status["status"] as? String == "running")
            #expect(status["version"] as? String == JunctionVersion.current)
            let counts = try #require(status["servers"] as? [String: Any])
            #expect(counts["total"] as? Int == 2 && counts["connected"] as? Int == 1)
            #expect(counts["quarantined"] as? Int == 0)
            #expect((status["tools"] as? [String: Any])?["total"] as? Int == FakeDownstream.tools.count)

            let tools = try Self.data(try await client.get("/api/v1/servers/fake/tools"))
            let listed = try #require(tools["tools"] as? [[String: Any]])
            #expect(Set(listed.compactMap { $0["name"] as? String }) == Set(FakeDownstream.tools))
            #expect(listed.allSatisfy { ($0["client_name"] as? String)?.hasPrefix("fake__") == true })

            try await waitFor("the initialize request in the log") {
                let logs = try Self.data(try await client.get("/api/v1/servers/fake/logs?tail=50"))
                return (logs["logs"] as? [String])?.contains { $0.hasPrefix("request initialize") } == true
            }
            #expect(try await client.get("/api/v1/servers/nope/tools").status == .notFound)
            #expect(try await client.get("/api/v1/servers/fake/logs?tail=0").status == .badRequest)
        }
    }

    @Test("quarantine hides the server until released; each change is an activity record")
    func quarantine() async throws {
        let harness = try await harness()
        try await harness.test { client in
            _ = try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "fake"))
            let quarantined = try await client.request(.post, "/api/v1/servers/fake/quarantine")
            #expect(quarantined.status == .ok, "\(quarantined.body)")
            let server = try #require(try Self.data(quarantined)["server"] as? [String: Any])
            #expect(server["quarantined"] as? Bool == true)
            let health = try #require(server["health"] as? [String: Any])
            #expect(health["admin_state"] as? String == "quarantined" && health["action"] as? String == "approve")

            let refused = try await client.request(.post, "/api/v1/servers/fake/restart")
            #expect(refused.status == .conflict)
            #expect(
                try refused.json()["error"] as? String ?? ""
                    == "server 'fake' is quarantined; approve it first: junction server approve fake")

            let released = try await client.post("/api/v1/servers/fake/quarantine", #"{"quarantined": false}"#)
            #expect(released.status == .ok, "\(released.body)")
            #expect(try Self.data(released)["action"] as? String == "unquarantine")
            #expect(
                try await client.post("/api/v1/servers/fake/quarantine", #"{"quarantined": "no"}"#).status
                    == .badRequest)

            let page = try Self.data(try await client.get("/api/v1/activity?type=quarantine_change"))
            let activities = try #require(page["activities"] as? [[String: Any]])
            #expect(activities.compactMap { $0["method"] as? String } == ["server/approved", "server/quarantined"])
            #expect(
                activities.allSatisfy { $0["server_name"] as? String == "fake" && $0["status"] as? String == "success" }
            )
            #expect(page["total"] as? Int == 2 && page["limit"] as? Int == 50 && page["offset"] as? Int == 0)

            let changes = try Self.data(try await client.get("/api/v1/activity?type=server_change&server=fake"))
            #expect(changes["total"] as? Int == 1)
            let id = try #require((changes["activities"] as? [[String: Any]])?.first?["id"] as? String)
            let detail = try Self.data(try await client.get("/api/v1/activity/\(id)"))
            #expect(detail["type"] as? String == "server_change" && detail["method"] as? String == "server/created")
            #expect(detail["arguments"] as? [String: Any] != nil)
            #expect(try await client.get("/api/v1/activity/01NOPE").status == .notFound)
            #expect(try await client.get("/api/v1/audit").json()["total"] as? Int == 0, "the audit API lists calls")

            for bad in ["type=nope", "status=ok", "limit=101", "limit=0", "start_time=yesterday"] {
                #expect(try await client.get("/api/v1/activity?\(bad)").status == .badRequest, "\(bad)")
            }
            let csv = try await client.get("/api/v1/activity/export?format=csv")
            #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.body.split(separator: "\r\n").count == 4, "\(csv.body)")
            let lines = try await client.get("/api/v1/activity/export?format=json&type=quarantine_change")
            #expect(lines.body.split(separator: "\n").count == 2)
            #expect(try await client.get("/api/v1/activity/export?format=xml").status == .badRequest)
        }
    }

    @Test("bulk actions act on every server and say how each went")
    func bulk() async throws {
        let harness = try await harness()
        try await harness.test { client in
            _ = try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "one"))
            _ = try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "two"))
            let disabled = try Self.data(try await client.request(.post, "/api/v1/servers/disable_all"))
            #expect(disabled["action"] as? String == "disable_all" && disabled["succeeded"] as? Int == 2)
            let listed = try Self.data(try await client.get("/api/v1/servers"))["servers"] as? [[String: Any]]
            #expect(listed?.allSatisfy { $0["enabled"] as? Bool == false } == true)
            let none = try Self.data(try await client.request(.post, "/api/v1/servers/restart_all"))
            #expect((none["results"] as? [Any])?.isEmpty == true, "disabled servers are not restarted")

            _ = try await client.request(.post, "/api/v1/servers/enable_all")
            let reconnected = try Self.data(try await client.request(.post, "/api/v1/servers/reconnect"))
            #expect(reconnected["succeeded"] as? Int == 2 && reconnected["failed"] as? Int == 0)
            let again = try Self.data(try await client.request(.post, "/api/v1/servers/reconnect"))
            #expect((again["results"] as? [Any])?.isEmpty == true, "connected servers are left alone")
            let restarted = try Self.data(try await client.request(.post, "/api/v1/servers/restart_all"))
            #expect(restarted["succeeded"] as? Int == 2)
        }
    }

    @Test("secrets name sealed credentials and where they are used, never a value")
    func secrets() async throws {
        let harness = try await harness()
        try await harness.test { client in
            _ = try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "fake"))
            let scope = try await client.post(
                "/api/v1/auth-scopes",
                JSON.text(["name": "fake-token", "server_id": "fake", "env_vars": ["FAKE_TOKEN": "s3cret-value"]]))
            #expect(scope.status == .created, "\(scope.body)")
            let listed = try await client.get("/api/v1/secrets")
            #expect(!listed.body.contains("s3cret-value"))
            let secrets = try #require(try Self.data(listed)["secrets"] as? [[String: Any]])
            #expect(secrets.count == 1)
            let one = try Self.data(try await client.get("/api/v1/secrets/fake-token"))
            #expect(one["type"] as? String == "auth_scope" && one["server_name"] as? String == "fake")
            #expect(one["env_keys"] as? [String] == ["FAKE_TOKEN"])
            #expect(one["used_by"] as? [String] == ["server:fake"])
            #expect(one["oauth_token"] is NSNull, "not an OAuth scope: null, not left out")
            #expect(try await client.get("/api/v1/secrets/nope").status == .notFound)
        }
    }

    @Test("info, diagnostics, sessions and docker status answer in MCPProxy's shapes")
    func system() async throws {
        let harness = try await harness()
        _ = try SessionRepository(harness.database).open(
            SessionInfo(id: "s-1", clientName: "claude-code", transport: .socket, clientRoot: "/work"))
        try await harness.test { client in
            _ = try await client.post(
                "/api/v1/downstreams", JSON.text(["name": "broken", "command": "/nonexistent/mcp-server"]))
            _ = try await client.request(.post, "/api/v1/servers/broken/restart")
            let diagnostics = try Self.data(try await client.get("/api/v1/diagnostics"))
            let errors = try #require(diagnostics["upstream_errors"] as? [[String: Any]])
            #expect(errors.map { $0["server_name"] as? String } == ["broken"])
            #expect(diagnostics["total_issues"] as? Int == 1)

            let info = try Self.data(try await client.get("/api/v1/info"))
            #expect(info["version"] as? String == JunctionVersion.current)
            #expect(info["update"] is NSNull)
            let endpoints = try #require(info["endpoints"] as? [String: Any])
            #expect((endpoints["socket"] as? String)?.hasSuffix("junction.sock") == true)

            let sessions = try Self.data(try await client.get("/api/v1/sessions"))
            let listed = try #require(sessions["sessions"] as? [[String: Any]])
            #expect(listed.map { $0["id"] as? String } == ["s-1"])
            #expect(listed.first?["client_name"] as? String == "claude-code")
            #expect(listed.first?["tool_call_count"] as? Int == 0)
            #expect(try Self.data(try await client.get("/api/v1/sessions/s-1"))["transport"] as? String == "socket")
            #expect(try await client.get("/api/v1/sessions/nope").status == .notFound)
            #expect(try await client.get("/api/v1/sessions?status=open").status == .badRequest)

            let docker = try Self.data(try await client.get("/api/v1/docker/status"))
            #expect(docker["available"] as? Bool == false && docker["enabled"] as? Bool == false)
            #expect((docker["message"] as? String)?.contains("no isolation runtime is configured") == true)
        }
    }
}
