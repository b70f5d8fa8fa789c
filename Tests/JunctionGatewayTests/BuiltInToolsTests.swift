import Foundation
import JunctionCore
import JunctionStore
import Synchronization
import Testing

@testable import JunctionGateway

@Suite("Built-in tools")
struct BuiltInToolsTests {
    private func names(_ response: JSONRPCMessage) -> [String] {
        response.result?["tools"]?.elements?.compactMap { $0["name"]?.stringValue } ?? []
    }

    private func text(_ response: JSONRPCMessage) -> String {
        response.result?["content"]?.elements?.first?["text"]?.stringValue ?? ""
    }

    @Test("a Codex client under codex_dynamic_tool_compat also gets the built-in tools, which search and call")
    func codexCompat() async throws {
        try await withGateway { gateway in
            let settings = SettingsRepository(gateway.database)
            try settings.set("codex_dynamic_tool_compat", json: "true")
            try settings.set("tool_description_overrides", json: #"{"fake__echo": "Say it back."}"#)
            try await waitUntil("the engine reads the settings") {
                gateway.engine.presentation.codexCompat
                    && gateway.engine.presentation.descriptionOverrides["fake__echo"] != nil
            }
            let codex = gateway.client()
            _ = try await codex.request(
                "initialize", id: "0",
                params: #"{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"codex-mcp-client"}}"#)
            codex.notify("notifications/initialized")
            let listed = try await codex.request("tools/list", id: "1")
            #expect(Array(names(listed).suffix(2)) == BuiltInTools.names)
            #expect(names(listed).contains("fake__echo"))
            let echo = listed.result?["tools"]?.elements?.first { $0["name"]?.stringValue == "fake__echo" }
            #expect(echo?["description"]?.stringValue == "Say it back.")

            let found = try await codex.callTool(
                BuiltInTools.searchTools, id: "2", arguments: #"{"query":"fake__echo"}"#)
            let first = found.result?["structuredContent"]?["tools"]?.elements?.first
            #expect(first?["name"]?.stringValue == "fake__echo")
            #expect(first?["description"]?.stringValue == "Say it back.")
            #expect(first?["inputSchema"]?.description == #"{"type":"object"}"#)

            let echoed = try await codex.callTool(
                BuiltInTools.callTool, id: "3", arguments: #"{"name":"fake__echo","arguments":{"text":"hi"}}"#)
            #expect(echoed.kind == .response && echoed.result?["isError"]?.boolValue != true)
            let denied = try await codex.callTool(BuiltInTools.callTool, id: "4", arguments: #"{"name":"fake__crash"}"#)
            #expect(denied.result?["isError"]?.boolValue == true)
            #expect(text(denied).contains("no-crash"), "\(text(denied))")
            #expect(!(await gateway.fakeLogged("crashing on purpose")))

            // Another client lists no built-in tool, and cannot call one.
            let other = gateway.client()
            try await other.initialize()
            #expect(!names(try await other.request("tools/list", id: "1")).contains(BuiltInTools.searchTools))
            let refused = try await other.callTool(BuiltInTools.searchTools, id: "2", arguments: #"{"query":"echo"}"#)
            #expect(refused.kind == .errorResponse)
        }
    }

    @Test("turning slim mode on tells a listing client its tools changed")
    func slimToggleNotifies() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            #expect(names(try await client.request("tools/list", id: "1")).contains("fake__echo"))
            let mark = client.transcript.count
            try SettingsRepository(gateway.database).set("slim_tools", json: "true")
            _ = try await client.transcript.first("tools/list_changed", since: mark) {
                $0.method == "notifications/tools/list_changed"
            }
            #expect(names(try await client.request("tools/list", id: "2")) == BuiltInTools.names)
        }
    }

    @Test("slim mode follows the innermost workspace that says, then the setting")
    func slimPerWorkspace() async throws {
        try await withGateway { gateway in
            try SettingsRepository(gateway.database).set("slim_tools", json: "true")
            try await waitUntil("the engine reads the setting") { gateway.engine.presentation.slimTools }
            let slim = gateway.client()
            try await slim.initialize()
            #expect(names(try await slim.request("tools/list", id: "1")) == BuiltInTools.names)
            let bad = try await slim.callTool(BuiltInTools.searchTools, id: "2", arguments: #"{"limit":3}"#)
            #expect(bad.result?["isError"]?.boolValue == true && text(bad).contains("needs a query"))

            var workspace = gateway.workspace
            workspace.slimTools = false
            _ = try WorkspaceRepository(gateway.database).update(workspace)
            try await waitUntil("routing reads the workspace") {
                gateway.engine.routing.resolver.resolver.config.workspace(named: "proj")?.slimTools == false
            }
            let full = gateway.client()
            try await full.initialize()
            let listed = names(try await full.request("tools/list", id: "1"))
            #expect(listed.contains("fake__echo") && !listed.contains(BuiltInTools.callTool))
        }
    }
}

@Suite("Tool catalog TTL")
struct ToolCatalogTTLTests {
    @Test("with tools_cache_ttl_sec, a listing finding an older catalog has the server list its tools again")
    func catalogTTL() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            _ = try await client.request("tools/list", id: "1")
            try await waitUntil("the fake is discovered") { await gateway.fakeLogCount("request tools/list") >= 1 }
            let before = await gateway.fakeLogCount("request tools/list")
            try SettingsRepository(gateway.database).set("tools_cache_ttl_sec", json: "1")
            try await waitUntil("the engine reads the setting") { gateway.engine.presentation.catalogTTLSec == 1 }
            // Each listing past the TTL asks for a re-listing; one is enough.
            let ticks = Mutex(1)
            try await waitUntil("the server lists its tools again") {
                let id = ticks.withLock { tick -> Int in
                    tick += 1
                    return tick
                }
                _ = try? await client.request("tools/list", id: String(id))
                return await gateway.fakeLogCount("request tools/list") > before
            }
        }
    }
}
