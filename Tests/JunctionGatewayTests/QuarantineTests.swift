import JunctionCore
import JunctionStore
import Testing

@testable import JunctionGateway

/// A quarantined server, seen from a client session: its tools hidden, calls to them refused with
/// how to approve it, and released (with an event) when approved by any process.
@Suite("Server quarantine")
struct QuarantineTests {
    private func toolNames(_ response: JSONRPCMessage) -> [String] {
        response.result?["tools"]?.elements?.compactMap { $0["name"]?.stringValue } ?? []
    }

    /// What a refusal says, whether it came as a JSON-RPC error or as a tool result.
    private func said(_ response: JSONRPCMessage) -> String {
        response.errorMessage ?? response.result?.description ?? ""
    }

    @Test("hidden and refused with the way out until approved; each change is published")
    func quarantinedUntilApproved() async throws {
        var server = FakeServer.downstream()
        server.quarantined = true
        try await withGateway(server: server) { gateway in
            await gateway.engine.prepare()
            let feed = EventFeed(gateway.engine.events.subscribe())
            defer { feed.stop() }
            let client = gateway.client()
            try await client.initialize()
            #expect(!toolNames(try await client.request("tools/list", id: "1")).contains("fake__echo"))
            let refused = try await client.callTool("fake__echo", id: "2", arguments: #"{"text":"hi"}"#)
            #expect(said(refused).contains("quarantined"), "\(refused)")
            #expect(said(refused).contains("junction server approve fake"), "\(refused)")
            #expect(!said(refused).contains("Unknown tool"), "\(refused)")
            #expect(!said(refused).contains("junction route"), "a quarantine is no rule to change")

            try DownstreamRepository(gateway.database).setQuarantined("fake", false)
            let approved = try await feed.first(EventType.serverQuarantineChanged)
            #expect(approved["server_name"]?.stringValue == "fake")
            #expect(approved["quarantined"]?.boolValue == false)
            try await waitUntil("fake__echo is listed again") {
                let listed = try? await client.request("tools/list", id: "3")
                return listed.map { toolNames($0).contains("fake__echo") } ?? false
            }
            let answered = try await client.callTool("fake__echo", id: "4", arguments: #"{"text":"hi"}"#)
            #expect(answered.errorMessage == nil, "\(answered)")

            let mark = feed.count
            try DownstreamRepository(gateway.database).setQuarantined("fake", true)
            let quarantined = try await feed.first(EventType.serverQuarantineChanged, since: mark)
            #expect(quarantined["quarantined"]?.boolValue == true)
        }
    }
}
