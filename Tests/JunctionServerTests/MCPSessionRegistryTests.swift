import JunctionCore
import JunctionGateway
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("MCP over HTTP: the session registry and its per-key limits")
struct MCPSessionRegistryTests {
    let harness: APIHarness
    let registry = MCPSessionRegistry()
    let alice = ClientIdentity(keyId: "k-alice", name: "alice", workspace: nil)
    let bob = ClientIdentity(keyId: "k-bob", name: "bob", workspace: nil)

    init() throws {
        harness = try APIHarness()
    }

    func open(_ identity: ClientIdentity) throws -> MCPHTTPSession {
        try registry.open(
            engine: harness.engine, identity: identity, target: .folder("/"), pinned: false, onlyDownstream: nil)
    }

    @Test("sessions are found by id, and only by the key that made them")
    func lookup() throws {
        let session = try open(alice)
        #expect(session.id.count == 32)
        #expect(registry.session(id: session.id, identity: alice) === session)
        #expect(registry.session(id: session.id, identity: bob) == nil)
        #expect(!registry.end(id: session.id, identity: bob))
        #expect(registry.end(id: session.id, identity: alice))
        #expect(registry.session(id: session.id, identity: alice) == nil)
    }

    @Test("past the sessions a key may open, it is refused; other keys are not")
    func sessionLimit() throws {
        var limits = MCPSessionRegistry.Limits()
        limits.maxSessionsPerKey = 2
        registry.limits = limits
        let first = try open(alice)
        _ = try open(alice)
        #expect(throws: MCPSessionRegistry.Refusal.tooManySessions(2)) { try open(alice) }
        _ = try open(bob)
        registry.end(id: first.id, identity: alice)
        _ = try open(alice)
    }

    @Test("calls in flight are counted per key and refused past the limit")
    func callLimit() throws {
        var limits = MCPSessionRegistry.Limits()
        limits.maxCallsPerKey = 3
        registry.limits = limits
        for _ in 0..<3 { try registry.acquireCall(alice) }
        #expect(throws: MCPSessionRegistry.Refusal.tooManyCalls(3)) { try registry.acquireCall(alice) }
        try registry.acquireCall(bob)
        registry.releaseCall(alice)
        try registry.acquireCall(alice)
        #expect(registry.callsInFlight(keyId: alice.keyId) == 3)
    }

    @Test("idle sessions end; a session with a request in flight or a stream open does not")
    func idleExpiry() async throws {
        var limits = MCPSessionRegistry.Limits()
        limits.idle = .seconds(30)
        registry.limits = limits
        let idle = try open(alice)
        let busy = try open(alice)
        let streaming = try open(bob)
        let waiting = try busy.mailbox.register(
            .request(id: RawJSON(integer: 1), method: "tools/call", params: nil), canStream: false)
        let stream = streaming.mailbox.openStream(lastEventId: nil)
        #expect(registry.sweep(now: .now + .seconds(10)) == 0)
        #expect(registry.sweep(now: .now + .seconds(60)) == 1)
        #expect(registry.session(id: idle.id, identity: alice) == nil)
        #expect(registry.session(id: busy.id, identity: alice) != nil)
        #expect(registry.session(id: streaming.id, identity: bob) != nil)
        registry.closeAll(reason: "done")
        for await _ in stream {}
        for await outgoing in waiting.stream { #expect(outgoing.final) }
        #expect(throws: MCPSessionRegistry.Refusal.closed) { try open(alice) }
    }

    @Test("requests without a session share one session per key, workspace and server")
    func sharedSessions() throws {
        let engine = harness.engine
        let one = try registry.shared(
            engine: engine, identity: alice, target: .folder("/"), pinned: false, onlyDownstream: nil)
        let again = try registry.shared(
            engine: engine, identity: alice, target: .folder("/"), pinned: false, onlyDownstream: nil)
        let other = try registry.shared(
            engine: engine, identity: alice, target: .workspace("A"), pinned: true, onlyDownstream: nil)
        #expect(one === again && one !== other && one.shared)
        #expect(registry.sessionCount == 0)
    }

    @Test("limits are read from the settings")
    func settings() throws {
        _ = try SettingsRepository(harness.database).set("mcp_max_calls_per_key", json: "9")
        let limits = try MCPSessionRegistry.readLimits(harness.database)
        #expect(limits.maxCallsPerKey == 9 && limits.maxSessionsPerKey == 64 && limits.idle == .seconds(1800))
    }
}
