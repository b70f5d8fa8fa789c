import Foundation
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Admin API: dry-run, settings, cache")
struct OperationsControllerTests {
    /// A workspace "proj" whose rule "no-push" denies git__push, and a server "git".
    private func configured(_ harness: APIHarness) throws -> (Workspace, Downstream) {
        let root = harness.directory.file("proj")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let workspace = try WorkspaceRepository(harness.database).create(
            Workspace(name: "proj", rootPath: root, defaultPolicy: .allow))
        let server = try DownstreamRepository(harness.database).create(
            Downstream(name: "git", namespace: "git", command: "git-mcp"))
        try RouteRuleRepository(harness.database).create(
            RouteRule(name: "no-push", workspaceId: workspace.id, toolPattern: "git__push", policy: .deny))
        return (workspace, server)
    }

    @Test("dry-run by workspace name or id and by folder gives the decision and its trace")
    func dryRun() async throws {
        let harness = try APIHarness()
        let (workspace, _) = try configured(harness)
        try await harness.test { client in
            let denied = try await client.post(
                "/api/v1/dry-run", #"{"workspace_id": "proj", "tool_name": "git__push"}"#)
            #expect(denied.status == .ok)
            let json = try denied.json()
            #expect(json["decision"] as? String == "deny")
            #expect((json["matched_rule"] as? [String: Any])?["name"] as? String == "no-push")
            #expect((json["trace"] as? [Any])?.isEmpty == false)

            let byId = try await client.post(
                "/api/v1/dry-run", #"{"workspace_id": "\#(workspace.id)", "tool_name": "git__status"}"#)
            #expect(try byId.json()["decision"] as? String == "allow")

            let nested = workspace.rootPath + "/src"
            try FileManager.default.createDirectory(atPath: nested, withIntermediateDirectories: true)
            let byFolder = try await client.post(
                "/api/v1/dry-run", #"{"cwd": "\#(nested)", "tool_name": "git__push"}"#)
            #expect(try byFolder.json()["decision"] as? String == "deny")
        }
    }

    @Test("dry-run refuses what it cannot answer, naming the field")
    func dryRunErrors() async throws {
        let harness = try APIHarness()
        _ = try configured(harness)
        try await harness.test { client in
            let cases: [(String, String?, Int)] = [
                (#"{"workspace_id": "proj"}"#, "tool_name", 400),
                (#"{"tool_name": "git__push"}"#, "workspace_id", 400),
                (#"{"workspace_id": "proj", "cwd": "/tmp", "tool_name": "x"}"#, "cwd", 400),
                (#"{"cwd": "relative/path", "tool_name": "x"}"#, "cwd", 400),
                (#"{"workspace_id": "proj", "tool_name": 7}"#, "tool_name", 400),
                (#"{"workspace_id": "proj", "tool_name": "x", "arguments": [1]}"#, "arguments", 400),
                (#"{"workspace_id": "nope", "tool_name": "x"}"#, nil, 404),
                ("{not json", nil, 400),
            ]
            for (body, field, status) in cases {
                let reply = try await client.post("/api/v1/dry-run", body)
                #expect(reply.status.code == status, "\(body) → \(reply.status) \(reply.body)")
                if let field { #expect(try reply.json()["field"] as? String == field, "\(body)") }
            }
            let text = try await client.request(
                .post, "/api/v1/dry-run", json: "tool_name=x", headers: [.contentType: "text/plain"])
            #expect(text.status == .unsupportedMediaType)
        }
    }

    @Test("settings read with their source; a PUT stores all or nothing")
    func settings() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let initial = try await client.get("/api/v1/settings").json()
            let settings = try #require(initial["settings"] as? [String: Any])
            #expect(settings["log_level"] as? String == "info")
            let details = try #require(initial["details"] as? [[String: Any]])
            let logLevel = try #require(details.first { $0["key"] as? String == "log_level" })
            #expect(logLevel["source"] as? String == "default")
            #expect(logLevel["environment_variable"] as? String == "JUNCTION_LOG_LEVEL")

            let updated = try await client.put(
                "/api/v1/settings", #"{"log_level": "debug", "audit_retention_days": 7}"#)
            #expect(updated.status == .ok)
            let after = try #require(try updated.json()["settings"] as? [String: Any])
            #expect(after["log_level"] as? String == "debug")
            #expect(after["audit_retention_days"] as? Int == 7)

            let refused = try await client.put(
                "/api/v1/settings", #"{"log_level": "error", "audit_retention_days": -1}"#)
            #expect(refused.status == .badRequest)
            #expect(try refused.json()["field"] as? String == "audit_retention_days")
            let unchanged = try #require(try await client.get("/api/v1/settings").json()["settings"] as? [String: Any])
            #expect(unchanged["log_level"] as? String == "debug", "nothing of a refused PUT is stored")

            let unknown = try await client.put("/api/v1/settings", #"{"no_such_setting": 1}"#)
            #expect(unknown.status == .badRequest)
            #expect(try unknown.json()["field"] as? String == "no_such_setting")
            #expect(try await client.put("/api/v1/settings", "{}").status == .badRequest)
            #expect(try await client.put("/api/v1/settings", "[]").status == .badRequest)
        }
    }

    @Test("an environment override wins on read and says so")
    func environmentOverride() throws {
        let harness = try APIHarness()
        let settings = SettingsRepository(harness.database, environment: ["JUNCTION_LOG_LEVEL": "warning"])
        try settings.set("log_level", json: #""debug""#)
        let value = try settings.get("log_level")
        #expect(value.json == #""warning""#)
        #expect(value.source == .environment)
        let ignored = SettingsRepository(harness.database, environment: ["JUNCTION_LOG_LEVEL": "loud"])
        #expect(try ignored.get("log_level").source == .database, "an invalid override is ignored")
    }

    @Test("cache stats cover both tiers; flush empties the layer asked for")
    func cache() async throws {
        let harness = try APIHarness()
        let (_, server) = try configured(harness)
        let key = JunctionCore.ToolResultCache.Key(
            downstreamId: server.id, authScopeId: nil, tool: "status", canonicalArguments: "{}")
        harness.engine.resultCache.put(key, value: Array("result".utf8), ttl: .seconds(60))
        _ = harness.engine.routing.resolver.resolve(tool: "git__status", clientRoot: "/")
        try await harness.test { client in
            let stats = try await client.get("/api/v1/cache/stats").json()
            let toolCall = try #require(stats["tool_call"] as? [String: Any])
            #expect(toolCall["entries"] as? Int == 1)
            let route = try #require(stats["route"] as? [String: Any])
            #expect(route["entries"] as? Int == 1)

            let flushed = try await client.post("/api/v1/cache/flush", #"{"layer": "tool_call", "server_id": "git"}"#)
            #expect(flushed.status == .ok)
            #expect((try flushed.json()["flushed"] as? [String: Any])?["tool_call"] as? Int == 1)
            #expect(harness.engine.resultCache.stats.entries == 0)
            #expect(harness.engine.routing.resolver.stats.size == 1, "the route layer was not asked for")

            let all = try await client.post("/api/v1/cache/flush", #"{"layer": "all"}"#)
            #expect(all.status == .ok)
            #expect(harness.engine.routing.resolver.stats.size == 0)

            let bad = try await client.post("/api/v1/cache/flush", #"{"layer": "everything"}"#)
            #expect(bad.status == .badRequest)
            #expect(try bad.json()["field"] as? String == "layer")
            let unknownServer = try await client.post("/api/v1/cache/flush", #"{"layer": "all", "server_id": "nope"}"#)
            #expect(unknownServer.status == .notFound)
        }
    }

    @Test("numbers that would overflow a timer are refused, naming the field")
    func limits() async throws {
        let harness = try APIHarness()
        _ = try configured(harness)
        try await harness.test { client in
            let huge = "9223372036854775807"
            let cases: [(String, String, String)] = [
                (
                    "/api/v1/routes",
                    #"{"tool_pattern": "git__x", "policy": "approve", "approval_timeout_sec": \#(huge)}"#,
                    "approval_timeout_sec"
                ),
                ("/api/v1/routes", #"{"tool_pattern": "git__x", "cache_ttl_sec": \#(huge)}"#, "cache_ttl_sec"),
                ("/api/v1/routes", #"{"tool_pattern": "git__x", "priority": 2000000}"#, "priority"),
                (
                    "/api/v1/downstreams", #"{"name": "slow", "command": "x", "call_timeout_sec": \#(huge)}"#,
                    "call_timeout_sec"
                ),
            ]
            for (path, body, field) in cases {
                let reply = try await client.post(path, body)
                #expect(reply.status == .badRequest, "\(body) → \(reply.body)")
                #expect(try reply.json()["field"] as? String == field, "\(body)")
            }
            let setting = try await client.put("/api/v1/settings", #"{"approval_timeout_sec": \#(huge)}"#)
            #expect(setting.status == .badRequest)
            #expect(try setting.json()["field"] as? String == "approval_timeout_sec")
        }
    }
}
