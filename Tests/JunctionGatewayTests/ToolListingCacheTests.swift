import JunctionCore
import JunctionStore
import Testing

@testable import JunctionGateway

@Suite("Routed tool listing cache")
struct ToolListingCacheTests {
    private func toolNames(_ response: JSONRPCMessage) -> [String] {
        response.result?["tools"]?.elements?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test("sessions at one target share one routed listing, and a rule change makes a new one that follows it")
    func sharedAndFollowsRules() async throws {
        try await withGateway { gateway in
            let first = gateway.client()
            try await first.initialize()
            let listed = toolNames(try await first.request("tools/list", id: "1"))
            #expect(listed.contains("fake__echo"))
            let second = gateway.client()
            try await second.initialize()
            #expect(toolNames(try await second.request("tools/list", id: "1")) == listed)
            #expect(gateway.engine.routedTools.count == 1, "one target, one listing")

            try RouteRuleRepository(gateway.database).create(RouteRule(toolPattern: "fake__echo", policy: .deny))
            try gateway.engine.reloadConfiguration()
            #expect(toolNames(try await first.request("tools/list", id: "2")) == listed.filter { $0 != "fake__echo" })
            let denied = try await second.callTool("fake__echo", id: "2")
            #expect(denied.result?["isError"]?.boolValue == true, "\(denied)")
        }
    }
}
