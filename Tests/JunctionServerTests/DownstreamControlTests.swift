import Foundation
import HTTPTypes
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

/// Discover, restart, stop and logs against a real downstream process: the gateway tests' fake
/// MCP server, run with python3.
@Suite("Admin API: controlling real downstream processes")
struct DownstreamControlTests {
    /// A harness whose engine persists what servers offer (the daemon's `run()` does this).
    private func harness() async throws -> APIHarness {
        let harness = try APIHarness()
        await harness.engine.prepare()
        return harness
    }

    @Test("discover starts the server, stores its catalog and answers its tools")
    func discover() async throws {
        let harness = try await harness()
        try await harness.test { client in
            let created = try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "fake"))
            #expect(created.status == .created, "\(created.body)")

            let discovered = try await client.request(.post, "/api/v1/downstreams/fake/discover")
            #expect(discovered.status == .ok, "\(discovered.body)")
            let json = try discovered.json()
            let tools = try #require(json["tools"] as? [[String: Any]])
            #expect(Set(tools.compactMap { $0["name"] as? String }) == Set(FakeDownstream.tools))
            #expect(json["resource_count"] as? Int == 2)
            #expect(json["prompt_count"] as? Int == 1)
            #expect(json["auth_scope_id"] is NSNull)
            #expect((json["status"] as? [String: Any])?["state"] as? String == "running")

            let stored = try await client.get("/api/v1/downstreams/fake/tools").jsonArray()
            #expect(stored.count == FakeDownstream.tools.count)
            let shown = try await client.get("/api/v1/downstreams/fake").json()
            #expect(shown["tool_count"] as? Int == FakeDownstream.tools.count)
            let status = try #require(shown["status"] as? [String: Any])
            #expect(status["state"] as? String == "running")
            #expect(status["instances"] as? Int == 1)

            // The fake logs every request it receives to stderr, which lands in the server's log.
            try await waitFor("the initialize request in the log") {
                let lines = try await client.get("/api/v1/downstreams/fake/logs").json()["lines"] as? [String]
                return lines?.contains { $0.hasPrefix("request initialize") } == true
            }
            let one = try await client.get("/api/v1/downstreams/fake/logs?lines=1").json()["lines"] as? [String]
            #expect(one?.count == 1)
        }
    }

    @Test("stop stops every process; restart starts a shared server again")
    func stopAndRestart() async throws {
        let harness = try await harness()
        try await harness.test { client in
            _ = try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "fake"))
            _ = try await client.request(.post, "/api/v1/downstreams/fake/discover")

            let stopped = try await client.request(.post, "/api/v1/downstreams/fake/stop")
            #expect(stopped.status == .ok, "\(stopped.body)")
            let stoppedStatus = try #require(try stopped.json()["status"] as? [String: Any])
            #expect(stoppedStatus["state"] as? String == "stopped")
            #expect(stoppedStatus["instances"] as? Int == 0)
            #expect(stoppedStatus["crashes"] as? Int == 0, "a stop asked for is no crash")

            let restarted = try await client.request(.post, "/api/v1/downstreams/fake/restart")
            #expect(restarted.status == .ok, "\(restarted.body)")
            let restartedStatus = try #require(try restarted.json()["status"] as? [String: Any])
            #expect(restartedStatus["state"] as? String == "running")
            #expect(restartedStatus["instances"] as? Int == 1)

            // Restarting a running server replaces its process.
            let pid = try #require(await harness.engine.pool.running().first?.pid)
            _ = try await client.request(.post, "/api/v1/downstreams/fake/restart")
            let newPid = try #require(await harness.engine.pool.running().first?.pid)
            #expect(newPid != pid)
        }
    }

    @Test("a per-session server is stopped by restart and left for its sessions to start")
    func restartPerSession() async throws {
        let harness = try await harness()
        try await harness.test { client in
            _ = try await client.post(
                "/api/v1/downstreams", FakeDownstream.createBody(name: "fake", extra: ["instance_mode": "per_session"]))
            _ = try await client.request(.post, "/api/v1/downstreams/fake/discover")
            let restarted = try await client.request(.post, "/api/v1/downstreams/fake/restart")
            #expect(restarted.status == .ok)
            #expect((try restarted.json()["status"] as? [String: Any])?["state"] as? String == "stopped")
        }
    }

    @Test("discover starts the server with the auth scope asked for, or its only one")
    func discoverWithScope() async throws {
        let harness = try await harness()
        try await harness.test { client in
            _ = try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "fake"))
            let scope = try await client.post(
                "/api/v1/auth-scopes", #"{"name": "tok", "server_id": "fake", "env_vars": {"FAKE_SECRET": "s3"}}"#)
            let scopeId = try #require(try scope.json()["id"] as? String)

            let implicit = try await client.request(.post, "/api/v1/downstreams/fake/discover")
            #expect(try implicit.json()["auth_scope_id"] as? String == scopeId)
            let byName = try await client.request(.post, "/api/v1/downstreams/fake/discover?auth_scope=tok")
            #expect(try byName.json()["auth_scope_id"] as? String == scopeId)
            let instance = try #require(await harness.engine.pool.running().first)
            #expect(instance.key.authScopeId == scopeId)

            let unknown = try await client.request(.post, "/api/v1/downstreams/fake/discover?auth_scope=nope")
            try unknown.expectRefused(.badRequest, field: "auth_scope")
        }
    }

    @Test("changing a server stops its process; deleting it too")
    func changesStopProcesses() async throws {
        let harness = try await harness()
        try await harness.test { client in
            _ = try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "fake"))
            _ = try await client.request(.post, "/api/v1/downstreams/fake/discover")
            #expect(await harness.engine.pool.running().count == 1)

            let unchanged = try await client.put("/api/v1/downstreams/fake", #"{}"#)
            #expect((try unchanged.json()["status"] as? [String: Any])?["state"] as? String == "running")

            let changed = try await client.put("/api/v1/downstreams/fake", #"{"env": {"FAKE_X": "1"}}"#)
            #expect((try changed.json()["status"] as? [String: Any])?["state"] as? String == "stopped")

            _ = try await client.request(.post, "/api/v1/downstreams/fake/discover")
            #expect(await harness.engine.pool.running().count == 1)
            #expect(try await client.delete("/api/v1/downstreams/fake").status == .noContent)
            #expect(await harness.engine.pool.running().isEmpty)
        }
    }

    @Test("a server that cannot start is a 409 saying why, never a 5xx")
    func unavailable() async throws {
        let harness = try await harness()
        try await harness.test { client in
            _ = try await client.post(
                "/api/v1/downstreams", #"{"name": "missing", "command": "/nonexistent/junction-test-server"}"#)
            let missing = try await client.request(.post, "/api/v1/downstreams/missing/discover")
            #expect(missing.status == .conflict, "\(missing.body)")
            #expect(try missing.json()["code"] as? String == "server_unavailable")
            #expect((try missing.json()["error"] as? String)?.contains("missing") == true)
            let status = try await client.get("/api/v1/downstreams/missing").json()["status"] as? [String: Any]
            #expect(status?["crashes"] as? Int == 1)
            #expect(status?["last_error"] as? String != nil)

            _ = try await client.post(
                "/api/v1/downstreams", FakeDownstream.createBody(name: "off", extra: ["enabled": false]))
            for action in ["discover", "restart"] {
                let disabled = try await client.request(.post, "/api/v1/downstreams/off/\(action)")
                #expect(disabled.status == .conflict)
                #expect((try disabled.json()["error"] as? String)?.contains("disabled") == true)
            }
        }
    }
}
