import Foundation
import JunctionCore
import JunctionStore
import Synchronization
import Testing

@testable import JunctionGateway

@Suite("Approval queue", .timeLimit(.minutes(1)))
struct ApprovalQueueTests {
    /// A database where workspace "proj" asks for approval of fake__push (rule "ask", priority 5)
    /// and of fake__quick with a one-second timeout.
    final class Fixture: Sendable {
        let directory: TemporaryDirectory
        let database: AppDatabase
        let events = EventBus(firstId: 1)
        let queue: ApprovalQueue
        let workspace: Workspace

        init() throws {
            directory = try TemporaryDirectory()
            database = try AppDatabase.open(path: directory.file("junction.db"))
            let root = directory.file("proj")
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            workspace = try WorkspaceRepository(database).create(Workspace(name: "proj", rootPath: root))
            try DownstreamRepository(database).create(FakeServer.downstream())
            let routes = RouteRuleRepository(database)
            try routes.create(
                RouteRule(
                    name: "ask", workspaceId: workspace.id, toolPattern: "fake__push", policy: .approve, priority: 5))
            try routes.create(
                RouteRule(
                    name: "ask-quick", workspaceId: workspace.id, toolPattern: "fake__quick", policy: .approve,
                    approvalTimeoutSec: 1))
            queue = ApprovalQueue(database: database, events: events, progressInterval: .milliseconds(50))
        }

        func request(
            _ tool: String = "fake__push", session: String = "s1", progress: (@Sendable (String) -> Void)? = nil
        )
            throws -> ApprovalRequest
        {
            let decision = try DryRun.decide(database, tool: tool, workspace: "proj", clientRoot: nil)
            #expect(decision.decision == .approve)
            return ApprovalRequest(
                sessionId: session, clientName: "test", toolName: tool, decision: decision,
                arguments: try RawJSON(validating: Array(#"{"branch":"main"}"#.utf8)), progress: progress)
        }

        /// Waits (bounded by the suite's time limit) for the approval's `approval.requested` event,
        /// which the queue publishes once the pending row is stored.
        func pending(_ id: String) async throws -> Approval {
            for await event in events.subscribe(after: 0, types: [EventType.approvalRequested])
            where EventPayloadId.of(event) == id {
                return try ApprovalRepository(database).get(id)
            }
            throw StoreError.notFound(kind: "approval", key: id)
        }
    }

    @Test("approving releases the waiting call; the approval and both events record it")
    func approve() async throws {
        let fixture = try Fixture()
        let feed = fixture.events.subscribe()
        let request = try fixture.request()
        async let outcome = fixture.queue.decide(request)
        let stored = try await fixture.pending(request.id)
        #expect(stored.workspaceName == "proj")
        #expect(stored.params == #"{"branch":"main"}"#)
        #expect(stored.timeoutSec == 300)
        let resolved = try fixture.queue.resolve(request.id, approved: true, note: " fine ", by: "alice")
        #expect(await outcome == .approved)
        #expect(resolved.approval.status == .approved)
        #expect(resolved.approval.resolution == "fine")
        #expect(resolved.approval.resolvedBy == "alice")
        #expect(resolved.rule == nil)
        var types: [String] = []
        for await event in feed {
            types.append(event.type)
            if types.count == 2 { break }
        }
        #expect(types == [EventType.approvalRequested, EventType.approvalResolved])
    }

    @Test("denying gives the reviewer's note as the reason")
    func deny() async throws {
        let fixture = try Fixture()
        let request = try fixture.request()
        async let outcome = fixture.queue.decide(request)
        _ = try await fixture.pending(request.id)
        _ = try fixture.queue.resolve(request.id, approved: false, note: "not today")
        guard case .denied(let reason) = await outcome else {
            Issue.record("expected a denial")
            return
        }
        #expect(reason.contains("not today"))
        #expect(try ApprovalRepository(fixture.database).get(request.id).status == .denied)
    }

    @Test("the rule's timeout ends the wait as timed out")
    func timeout() async throws {
        let fixture = try Fixture()
        let request = try fixture.request("fake__quick")
        #expect(await fixture.queue.decide(request) == .timedOut)
        let stored = try ApprovalRepository(fixture.database).get(request.id)
        #expect(stored.status == .timedOut)
        #expect(stored.timeoutSec == 1)
        #expect(throws: ApprovalQueue.Conflict.self) {
            try fixture.queue.resolve(request.id, approved: true, note: nil)
        }
    }

    @Test("cancelling the waiting task cancels the approval")
    func cancel() async throws {
        let fixture = try Fixture()
        let request = try fixture.request()
        let waiting = Task { await fixture.queue.decide(request) }
        _ = try await fixture.pending(request.id)
        waiting.cancel()
        #expect(await waiting.value == .cancelled)
        #expect(try ApprovalRepository(fixture.database).get(request.id).status == .cancelled)
    }

    @Test("a second resolution is a conflict carrying the state it lost to; concurrent ones: one wins")
    func races() async throws {
        let fixture = try Fixture()
        let request = try fixture.request()
        async let outcome = fixture.queue.decide(request)
        _ = try await fixture.pending(request.id)
        let queue = fixture.queue
        let winners = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<8 {
                group.addTask { (try? queue.resolve(request.id, approved: index % 2 == 0, note: "\(index)")) != nil }
            }
            var count = 0
            for await won in group where won { count += 1 }
            return count
        }
        #expect(winners == 1)
        _ = await outcome
        do {
            _ = try queue.resolve(request.id, approved: true, note: nil)
            Issue.record("a resolved approval resolved again")
        } catch let conflict as ApprovalQueue.Conflict {
            #expect(conflict.current.status != .pending)
        }
        #expect(throws: StoreError.self) { try queue.resolve("01ARZ3NDEKTSV4RRFFQ69G5FAV", approved: true, note: nil) }
    }

    @Test("remember: session lets the same tool through in that session only")
    func rememberSession() async throws {
        let fixture = try Fixture()
        let first = try fixture.request()
        async let outcome = fixture.queue.decide(first)
        _ = try await fixture.pending(first.id)
        _ = try fixture.queue.resolve(first.id, approved: true, note: nil, remember: .session)
        #expect(await outcome == .approved)
        let again = try fixture.request()
        #expect(await fixture.queue.decide(again) == .approved)
        #expect((try? ApprovalRepository(fixture.database).get(again.id)) == nil, "no second approval was stored")
        fixture.queue.sessionEnded("s1")
        let other = try fixture.request(session: "s2")
        let waiting = Task { await fixture.queue.decide(other) }
        _ = try await fixture.pending(other.id)
        waiting.cancel()
        #expect(await waiting.value == .cancelled)
    }

    @Test("remember: workspace adds an allow rule above the asking rule")
    func rememberWorkspace() async throws {
        let fixture = try Fixture()
        let request = try fixture.request()
        async let outcome = fixture.queue.decide(request)
        _ = try await fixture.pending(request.id)
        let resolved = try fixture.queue.resolve(request.id, approved: true, note: nil, remember: .workspace)
        #expect(await outcome == .approved)
        let rule = try #require(resolved.rule)
        #expect(rule.policy == .allow)
        #expect(rule.priority == 6)
        #expect(rule.workspaceId == fixture.workspace.id)
        #expect(rule.toolPattern == "fake__push")
        let now = try DryRun.decide(fixture.database, tool: "fake__push", workspace: "proj", clientRoot: nil)
        #expect(now.decision == .allow)
    }

    @Test("a waiting call with a progress token hears that it is waiting")
    func progress() async throws {
        let fixture = try Fixture()
        let (messages, continuation) = AsyncStream<String>.makeStream()
        let request = try fixture.request(progress: { message in continuation.yield(message) })
        async let outcome = fixture.queue.decide(request)
        var heard: [String] = []
        for await message in messages {
            heard.append(message)
            if heard.count == 2 { break }
        }
        _ = try fixture.queue.resolve(request.id, approved: true, note: nil)
        #expect(await outcome == .approved)
        #expect(heard.allSatisfy { $0.contains(request.id) })
    }

    @Test("pending approvals left by a stopped daemon expire at start")
    func expireStale() throws {
        let fixture = try Fixture()
        let repository = ApprovalRepository(fixture.database)
        let orphan = try repository.create(
            Approval(
                sessionId: nil, clientName: nil, workspaceId: nil, workspaceName: nil, toolName: "fake__push",
                downstreamId: nil, downstreamName: nil, ruleId: nil, params: nil, timeoutSec: 300))
        #expect(fixture.queue.expireStale() == 1)
        let expired = try repository.get(orphan.id)
        #expect(expired.status == .expired)
        #expect(expired.resolvedAt != nil)
        #expect(fixture.queue.expireStale() == 0)
    }

    @Test("literal globs escape every wildcard")
    func literalGlob() throws {
        #expect(ApprovalQueue.literalGlob("a*b?[c]\\d") == #"a\*b\?\[c\]\\d"#)
        let glob = try Glob(ApprovalQueue.literalGlob("ns__a*b"))
        #expect(glob.matches("ns__a*b"))
        #expect(!glob.matches("ns__axb"))
    }
}

/// The `id` member of an event's JSON payload.
enum EventPayloadId {
    static func of(_ event: Event) -> String? {
        guard case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: Data(event.data)) else {
            return nil
        }
        return members["id"]?.stringValue
    }
}
