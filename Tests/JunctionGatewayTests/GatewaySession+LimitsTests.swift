import Foundation
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionGateway

@Suite("GatewaySession: tool calls at once per client key")
struct GatewaySessionLimitsTests {
    /// A session of the harness's engine that came in with client key `principal`.
    private func client(_ harness: GatewayHarness, principal: String) -> TestClient {
        let transcript = Transcript()
        let session = harness.engine.makeSession(
            target: .workspace(harness.workspace.name), pinned: true, transport: .http, principal: principal
        ) { bytes in transcript.receive(bytes) }
        return TestClient(session: session, transcript: transcript)
    }

    @Test("past its key's cap a call waits, past the line it is a tool error, and other keys go on")
    func perKeyCap() async throws {
        try await withGateway { harness in
            let settings = SettingsRepository(harness.database)
            try settings.set("max_concurrent_calls_per_key", json: "1")
            try settings.set("max_queued_calls", json: "1")
            try await waitUntil("the engine follows the settings") {
                harness.engine.callLimiter.limits == CallLimiter.Limits(perServer: 0, perKey: 1, maxQueued: 1)
            }
            let gate = harness.directory.file("gate")
            let arguments = #"{"path":"\#(gate)"}"#
            let alice = client(harness, principal: "alice")
            let bob = client(harness, principal: "bob")
            try await alice.initialize()
            try await bob.initialize()

            alice.send(alice.callLine("fake__gate", id: #""first""#, arguments: arguments))
            try await waitUntil("the first call reaches the server") {
                await harness.fakeLogCount("request tools/call") == 1
            }
            alice.send(alice.callLine("fake__gate", id: #""second""#, arguments: arguments))
            try await waitUntil("the second call waits") {
                harness.engine.callLimiter.waiting(server: harness.fake.id) == 1
            }
            let third = try await alice.callTool("fake__echo", id: #""third""#)
            #expect(third.result?["isError"]?.boolValue == true)
            let text = third.result?["content"]?.elements?.first?["text"]?.stringValue ?? ""
            #expect(text.contains("client key 'alice'") && text.contains("max_concurrent_calls_per_key"), "\(text)")

            // Another key is not held up by alice's.
            let other = try await bob.callTool("fake__echo", id: #""bob""#)
            #expect(other.kind == .response && other.result?["isError"]?.boolValue != true)
            #expect(await harness.fakeLogCount("request tools/call") == 2)

            FileManager.default.createFile(atPath: gate, contents: Data())
            for id in [#""first""#, #""second""#] {
                let answer = try await alice.transcript.response(to: id)
                #expect(answer.result?["content"]?.elements?.first?["text"]?.stringValue == "gate opened")
            }
            #expect(await harness.fakeLogCount("request tools/call") == 3)
            #expect(harness.engine.callLimiter.running(key: "alice") == 0)
        }
    }
}
