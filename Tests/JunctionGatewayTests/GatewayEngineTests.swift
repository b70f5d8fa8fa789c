import Foundation
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionGateway

@Suite("GatewayEngine", .timeLimit(.minutes(2)))
struct GatewayEngineTests {
    /// A harness whose engine's feed is being read from before anything happens.
    private func withFeed(_ body: (GatewayHarness, EventFeed) async throws -> Void) async throws {
        try await withGateway { gateway in
            // Hooks in place before the first session (run() sets them too, concurrently).
            await gateway.engine.prepare()
            let feed = EventFeed(gateway.engine.events.subscribe())
            defer { feed.stop() }
            try await body(gateway, feed)
        }
    }

    // MARK: - Events

    @Test("an allowed call is decided, started and completed on the feed, under one call id, in order")
    func callEvents() async throws {
        try await withFeed { gateway, feed in
            let client = gateway.client()
            try await client.initialize()
            let response = try await client.callTool(
                "fake__echo", id: "7", arguments: #"{"text":"hi","api_key":"s3cret-value"}"#)
            #expect(response.kind == .response)

            let decision = try await feed.first(EventType.policyDecision) {
                $0["tool_name"]?.stringValue == "fake__echo"
            }
            let callId = try #require(decision["call_id"]?.stringValue)
            #expect(decision["decision"]?.stringValue == "allow")
            #expect(decision["session_id"]?.stringValue == client.session.id)
            #expect(decision["client_name"]?.stringValue == "tests")
            #expect(decision["workspace_id"]?.stringValue == gateway.workspace.id)
            #expect(decision["workspace_name"]?.stringValue == "proj")
            #expect(decision["server_id"]?.stringValue == gateway.fake.id)
            #expect(decision["reason"]?.stringValue?.isEmpty == false)

            let started = try await feed.first(EventType.toolCallStarted) { $0["call_id"]?.stringValue == callId }
            #expect(started["server_tool_name"]?.stringValue == "echo")
            #expect(started["server_id"]?.stringValue == gateway.fake.id)
            #expect(started["workspace_id"]?.stringValue == gateway.workspace.id)
            #expect(started["request_id"]?.stringValue == "7")
            #expect(started["started_at"]?.stringValue?.hasSuffix("Z") == true)

            let completed = try await feed.first(EventType.toolCallCompleted) { $0["id"]?.stringValue == callId }
            #expect(completed["status"]?.stringValue == "ok")
            #expect(completed["tool_name"]?.stringValue == "fake__echo")
            #expect(completed["request_id"]?.stringValue == "7")
            #expect(completed["created_at"]?.stringValue?.hasSuffix("Z") == true)
            // As the audit table holds it: arguments redacted.
            #expect(completed["params"]?["text"]?.stringValue == "hi")
            #expect(completed["params"]?.description.contains("s3cret-value") == false)

            let order = [EventType.policyDecision, EventType.toolCallStarted, EventType.toolCallCompleted].compactMap {
                type in feed.events(type).first { $0.json.contains(callId) }?.id
            }
            #expect(order.count == 3 && order == order.sorted(), "\(order)")
        }
    }

    @Test("a denied call is decided and completed on the feed, never started")
    func deniedCallEvents() async throws {
        try await withFeed { gateway, feed in
            let client = gateway.client()
            try await client.initialize()
            // A denial is a tool result the model can read, not a protocol error.
            let refused = try await client.callTool("fake__crash", id: "1")
            #expect(refused.kind == .response && refused.result?["isError"]?.boolValue == true)
            let decision = try await feed.first(EventType.policyDecision) {
                $0["tool_name"]?.stringValue == "fake__crash"
            }
            #expect(decision["decision"]?.stringValue == "deny")
            #expect(decision["rule_name"]?.stringValue == "no-crash")
            #expect(decision["rule_id"]?.stringValue != nil)
            let callId = try #require(decision["call_id"]?.stringValue)
            let completed = try await feed.first(EventType.toolCallCompleted) { $0["id"]?.stringValue == callId }
            #expect(completed["status"]?.stringValue == "denied")
            #expect(!feed.events(EventType.toolCallStarted).contains { $0.json.contains(callId) })
        }
    }

    @Test("a server starting and its catalog being indexed, then changed, reach the feed")
    func serverEvents() async throws {
        try await withFeed { gateway, feed in
            let client = gateway.client()
            try await client.initialize()
            _ = try await client.request("tools/list", id: "1")

            let running = try await feed.first(EventType.serversChanged) { $0["state"]?.stringValue == "running" }
            #expect(running["server_id"]?.stringValue == gateway.fake.id)
            #expect(running["server_name"]?.stringValue == "fake")
            #expect(running["instances"]?.intValue == 1)
            #expect(running["crashes"]?.intValue == 0)
            #expect(feed.events(EventType.serversChanged).first?.json.contains(#""state":"starting""#) == true)

            let indexed = try await feed.first(EventType.toolsIndexed)
            #expect(indexed["server_id"]?.stringValue == gateway.fake.id)
            #expect(indexed["server_name"]?.stringValue == "fake")
            #expect(indexed["tool_count"]?.intValue == FakeServer.tools.count)
            #expect(indexed["prompt_count"]?.intValue == 1)
            #expect(
                indexed["changed_kinds"]?.elements?.compactMap(\.stringValue)
                    == ["tool", "resource", "resource_template", "prompt"])

            // The server adds a tool: only the tools changed.
            let mark = feed.count
            _ = try await client.callTool("fake__change", id: "2")
            let changed = try await feed.first(EventType.toolsIndexed, since: mark)
            #expect(changed["tool_count"]?.intValue == FakeServer.tools.count + 1)
            #expect(changed["changed_kinds"]?.elements?.compactMap(\.stringValue) == ["tool"])
        }
    }

    @Test("a configuration change reloads routing and reaches the feed with its generation")
    func reloadEvent() async throws {
        try await withFeed { gateway, feed in
            try RouteRuleRepository(gateway.database).create(
                RouteRule(name: "no-echo", workspaceId: gateway.workspace.id, toolPattern: "fake__echo", policy: .deny))
            let reloaded = try await feed.first(EventType.configReloaded)
            let generation = try #require(reloaded["generation"]?.intValue)
            #expect(UInt64(generation) == gateway.engine.routing.resolver.generation)
        }
    }

    // MARK: - Shutdown

    @Test("shutdown answers a call in flight with an error saying so, audits it cancelled and leaves no process")
    func shutdownAnswersInFlight() async throws {
        try await withFeed { gateway, feed in
            let client = gateway.client()
            try await client.initialize()
            client.send(client.callLine("fake__slow", id: #""slow""#, arguments: #"{"steps":400,"interval_ms":50}"#))
            try await waitUntil("the server receives the call") { await gateway.fakeLogged("request tools/call") }
            let pid = try #require(try await gateway.fakeInstance().pid)

            await gateway.engine.shutdown()
            // Answered before shutdown returned: before any transport ends the session's output.
            let answer = try #require(client.transcript.messages.first { $0.id?.description == #""slow""# })
            #expect(answer.kind == .errorResponse)
            #expect(answer.errorMessage?.contains("Junction is shutting down") == true, "\(answer.errorMessage ?? "")")
            #expect(client.transcript.messages.filter { $0.id?.description == #""slow""# }.count == 1)

            // The audit trail was written before shutdown returned.
            let record = try #require(
                try AuditRepository(gateway.database).query().first { $0.toolName == "fake__slow" })
            #expect(record.status == .cancelled)
            #expect(record.errorMessage?.contains("Junction is shutting down") == true)
            #expect(record.requestId == #""slow""#)
            // Later requests get the same answer rather than silence.
            let late = try await client.request("ping", id: #""late""#)
            #expect(late.errorMessage?.contains("Junction is shutting down") == true)

            try await waitUntil("the server process is gone") { processIsGone(pid) }

            try await feed.ended()
            let events = feed.events
            #expect(events.last?.type == EventType.streamClosed)
            #expect(events.last?.json.contains("Junction is shutting down") == true)
            #expect(
                events.contains {
                    $0.type == EventType.toolCallCompleted && $0.payload["id"]?.stringValue == record.id
                        && $0.payload["status"]?.stringValue == "cancelled"
                })
            #expect(
                events.contains {
                    $0.type == EventType.serversChanged && $0.payload["state"]?.stringValue == "stopped"
                })
        }
    }
}
