import Foundation
import JunctionCore
import JunctionGateway
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Admin API: audit, dashboard, tools, metrics, approvals, limits")
struct ObservabilityControllerTests {
    private func seedAudit(_ harness: APIHarness) throws -> [AuditRecord] {
        let records = [
            AuditRecord(
                toolName: "git__status", downstreamName: "git", decision: .allow, status: .ok,
                params: #"{"path":"="}"#, latencyMs: 3),
            AuditRecord(toolName: "git__push", downstreamName: "git", decision: .deny, status: .denied, latencyMs: 1),
            AuditRecord(toolName: "git__status", downstreamName: "git", decision: .allow, status: .error, latencyMs: 9),
        ]
        _ = try AuditRepository(harness.database).insert(records)
        return records
    }

    @Test("audit lists with filters and totals, finds one, refuses bad filters")
    func audit() async throws {
        let harness = try APIHarness()
        let records = try seedAudit(harness)
        try await harness.test { client in
            let all = try await client.get("/api/v1/audit").json()
            #expect(all["total"] as? Int == 3)
            let status = try await client.get("/api/v1/audit?tool_name=git__status&status=error").json()
            #expect(status["total"] as? Int == 1)
            let page = try await client.get("/api/v1/audit?limit=1&offset=1").json()
            #expect((page["records"] as? [Any])?.count == 1)
            #expect(page["limit"] as? Int == 1)
            let one = try await client.get("/api/v1/audit/\(records[1].id)").json()
            #expect(one["tool_name"] as? String == "git__push")
            #expect(try await client.get("/api/v1/audit/nope").status == .notFound)
            for (query, field) in [
                ("status=sideways", "status"), ("after=yesterday", "after"), ("limit=0", "limit"),
                ("limit=5000", "limit"), ("offset=-1", "offset"),
            ] {
                let reply = try await client.get("/api/v1/audit?\(query)")
                #expect(reply.status == .badRequest, "\(query)")
                #expect(try reply.json()["field"] as? String == field, "\(query)")
            }
            let csv = try await client.get("/api/v1/audit/export?format=csv")
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = csv.body.split(separator: "\r\n")
            #expect(lines.count == 4)
            #expect(lines.first?.hasPrefix("id,created_at,") == true)
            #expect(csv.body.contains(#""{""path"":""=""}""#), "params quoted as CSV")
            let jsonl = try await client.get("/api/v1/audit/export?format=jsonl&status=denied")
            #expect(jsonl.body.split(separator: "\n").count == 1)
            #expect(try await client.get("/api/v1/audit/export?format=xml").status == .badRequest)
        }
    }

    @Test("CSV fields are quoted and formula-looking text is defused")
    func csvQuoting() {
        #expect(AuditExport.quote("plain") == "plain")
        #expect(AuditExport.quote("a,b") == "\"a,b\"")
        #expect(AuditExport.quote("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(AuditExport.quote("=SUM(A1)") == "'=SUM(A1)")
        #expect(AuditExport.quote("-3") == "-3")
    }

    @Test("the dashboard merges the range's figures with live server state")
    func dashboard() async throws {
        let harness = try APIHarness()
        _ = try seedAudit(harness)
        try DownstreamRepository(harness.database).create(Downstream(name: "git", namespace: "git", command: "git-mcp"))
        try await harness.test { client in
            let json = try await client.get("/api/v1/dashboard?range=24h").json()
            #expect((json["totals"] as? [String: Any])?["requests"] as? Int == 3)
            #expect(json["range"] as? String == "24h")
            let servers = try #require(json["servers"] as? [[String: Any]])
            #expect(servers.first?["name"] as? String == "git")
            #expect((servers.first?["status"] as? [String: Any])?["state"] as? String == "stopped")
            #expect(json["cache"] != nil && json["uptime_sec"] != nil)
            let bad = try await client.get("/api/v1/dashboard?range=1y")
            #expect(bad.status == .badRequest)
            #expect(try bad.json()["field"] as? String == "range")
        }
    }

    @Test("tool search finds catalog entries under their client-visible names, with a workspace's decision")
    func tools() async throws {
        let harness = try APIHarness()
        let server = try DownstreamRepository(harness.database).create(
            Downstream(name: "git", namespace: "git", command: "git-mcp"))
        try CatalogRepository(harness.database).replace(
            downstreamId: server.id, kind: .tool,
            entries: [
                .init(
                    name: "push", title: nil, description: "Push commits", inputSchema: #"{"type":"object"}"#,
                    outputSchema: nil, annotations: nil, raw: #"{"name":"push"}"#),
                .init(
                    name: "status", title: nil, description: "Show the working tree", inputSchema: nil,
                    outputSchema: nil, annotations: nil, raw: #"{"name":"status"}"#),
            ])
        let root = harness.directory.file("proj")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let workspace = try WorkspaceRepository(harness.database).create(Workspace(name: "proj", rootPath: root))
        try RouteRuleRepository(harness.database).create(
            RouteRule(workspaceId: workspace.id, toolPattern: "git__push", policy: .deny))
        _ = try harness.engine.routing.refresh()
        try await harness.test { client in
            let json = try await client.get("/api/v1/tools?q=push&workspace_id=proj").json()
            let tools = try #require(json["tools"] as? [[String: Any]])
            #expect(tools.map { $0["name"] as? String } == ["git__push"])
            #expect(tools.first?["decision"] as? String == "deny")
            #expect((tools.first?["input_schema"] as? [String: Any])?["type"] as? String == "object")
            let everything = try await client.get("/api/v1/tools").json()
            #expect((everything["tools"] as? [Any])?.count == 2)
            #expect(try await client.get("/api/v1/tools?workspace_id=nope").status == .notFound)
        }
    }

    @Test("metrics count completed calls from the event feed, in Prometheus text")
    func metrics() async throws {
        let harness = try APIHarness()
        let record = AuditRecord(
            toolName: "git__status", downstreamName: "git", decision: .allow, status: .ok, latencyMs: 12)
        let bus = EventBus(firstId: 1)
        bus.publish(EventType.toolCallCompleted, record)
        bus.publish(EventType.policyDecision, ["decision": "allow"])
        for await event in bus.subscribe(after: 0) {
            harness.environment.metrics.record(event)
            if event.id == 2 { break }
        }
        try await harness.test { client in
            let reply = try await client.get("/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(reply.body.contains(#"junction_tool_calls_total{server="git",status="ok"} 1"#))
            #expect(reply.body.contains(#"junction_tool_call_duration_seconds_bucket{le="0.025"} 1"#))
            #expect(reply.body.contains(#"junction_policy_decisions_total{decision="allow"} 1"#))
            #expect(reply.body.contains("junction_uptime_seconds"))
            #expect(reply.body.contains("# TYPE junction_sessions_active gauge\njunction_sessions_active 0.0\n"))
            let session = harness.engine.makeSession(target: .folder("/"), pinned: false) { _ in }
            let withSession = try await client.get("/metrics")
            #expect(withSession.body.contains("junction_sessions_active 1.0\n"))
            session.close()
            #expect(try await client.get("/metrics", key: nil).status == .unauthorized)
        }
    }

    @Test("approvals: list by status, unknown ids, invalid bodies; no queue means 503")
    func approvals() async throws {
        let harness = try APIHarness()
        let stored = try ApprovalRepository(harness.database).create(
            Approval(
                sessionId: nil, clientName: "c", workspaceId: nil, workspaceName: nil, toolName: "git__push",
                downstreamId: nil, downstreamName: nil, ruleId: nil, params: #"{"force":true}"#, timeoutSec: 60))
        try await harness.test { client in
            let pending = try await client.get("/api/v1/approvals").jsonArray()
            #expect(pending.map { $0["id"] as? String } == [stored.id])
            #expect((pending.first?["params"] as? [String: Any])?["force"] as? Bool == true)
            #expect(try await client.get("/api/v1/approvals?status=approved").jsonArray().isEmpty)
            #expect(try await client.get("/api/v1/approvals?status=all").jsonArray().count == 1)
            #expect(try await client.get("/api/v1/approvals?status=maybe").status == .badRequest)
            #expect(try await client.get("/api/v1/approvals/nope").status == .notFound)
            let noQueue = try await client.post("/api/v1/approvals/\(stored.id)/resolve", #"{"approved": true}"#)
            #expect(noQueue.status == .serviceUnavailable, "the harness's engine refuses approvals")
            let invalid = try await client.post("/api/v1/approvals/\(stored.id)/resolve", #"{"approved": "yes"}"#)
            #expect(invalid.status == .badRequest)
        }
    }

    @Test("a body over the limit is 413")
    func tooLarge() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let huge = #"{"tool_name": ""# + String(repeating: "x", count: 5 * 1024 * 1024) + #""}"#
            let reply = try await client.post("/api/v1/dry-run", huge)
            #expect(reply.status == .contentTooLarge)
            #expect(try reply.json()["code"] as? String == "too_large")
        }
    }
}
