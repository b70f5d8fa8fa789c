import Foundation
import JunctionCore
import Testing

@testable import JunctionGateway

/// The session as a dual-era server: modern (2026-07-28) requests served statelessly beside the
/// handshake era, subscriptions, and input requests bridged between the eras.
@Suite("Modern-era sessions")
struct ModernSessionTests {
    static let meta =
        #"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","#
        + #""io.modelcontextprotocol/clientInfo":{"name":"modern-tests","version":"2"},"#
        + #""io.modelcontextprotocol/clientCapabilities":{}}"#
    static let metaWithRoots =
        #"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","#
        + #""io.modelcontextprotocol/clientCapabilities":{"roots":{}}}"#

    private func params(_ extra: String = "", meta: String = Self.meta) -> String {
        #"{"_meta":\#(meta)"# + (extra.isEmpty ? "" : ",\(extra)") + "}"
    }

    @Test("server/discover lists every version, Junction's capabilities and identity, with caching hints")
    func discover() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            let response = try await client.request("server/discover", id: "1", params: params())
            let result = try #require(response.result)
            #expect(result["resultType"]?.stringValue == "complete")
            #expect(
                result["supportedVersions"]?.elements?.compactMap(\.stringValue) == MCPProtocol.supportedVersions)
            #expect(result["capabilities"]?["tools"] != nil)
            #expect(result["_meta"]?[MCPProtocol.Meta.serverInfo]?["name"]?.stringValue == "junction")
            #expect((result["ttlMs"]?.intValue ?? -1) >= 0)
            #expect(result["cacheScope"]?.stringValue == "public")
        }
    }

    @Test("an unknown version gets -32022 naming the supported ones; a bad log level -32602")
    func unsupportedVersion() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            let meta = #"{"io.modelcontextprotocol/protocolVersion":"1900-01-01"}"#
            let response = try await client.request("tools/list", id: "1", params: params(meta: meta))
            #expect(response.errorCode == MCPProtocol.ErrorCode.unsupportedProtocolVersion)
            let data = try #require(response.error?["data"])
            #expect(data["requested"]?.stringValue == "1900-01-01")
            #expect(data["supported"]?.elements?.compactMap(\.stringValue).contains("2026-07-28") == true)

            let badLevel =
                #"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/logLevel":"loud"}"#
            let refused = try await client.request("tools/list", id: "2", params: params(meta: badLevel))
            #expect(refused.errorCode == JSONRPCErrorCode.invalidParams)
        }
    }

    @Test("modern requests are served without initialize, results carry the modern fields")
    func statelessRequests() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            let list = try await client.request("tools/list", id: "1", params: params())
            let result = try #require(list.result)
            #expect(result["resultType"]?.stringValue == "complete")
            #expect(result["ttlMs"]?.intValue == 0)
            #expect(result["cacheScope"]?.stringValue == "private")
            let names = result["tools"]?.elements?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("fake__echo"))
            #expect(names == names.sorted())

            let call = try await client.request(
                "tools/call", id: "2", params: params(#""name":"fake__echo","arguments":{"x":1}"#))
            #expect(call.result?["resultType"]?.stringValue == "complete")
            #expect(call.result?["ttlMs"] == nil)
            #expect(call.result?["_meta"]?[MCPProtocol.Meta.serverInfo]?["name"]?.stringValue == "junction")

            let read = try await client.request("resources/read", id: "3", params: params(#""uri":"fake://readme""#))
            #expect(read.result?["cacheScope"]?.stringValue == "private")
            #expect(read.result?["contents"] != nil)

            let setLevel = try await client.request("logging/setLevel", id: "4", params: params(#""level":"info""#))
            #expect(setLevel.errorCode == JSONRPCErrorCode.methodNotFound)

            // A handshake-era request on another connection is untouched.
            let legacy = gateway.client()
            try await legacy.initialize()
            let plain = try await legacy.request("tools/list", id: "1")
            #expect(plain.result?["resultType"] == nil)
        }
    }

    @Test("a modern client gets change notifications only on a subscription, tagged with its id")
    func subscriptions() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            _ = try await client.request("tools/list", id: "1", params: params())
            client.send(
                client.requestLine(
                    "subscriptions/listen", id: #""sub""#,
                    params: params(#""notifications":{"toolsListChanged":true,"resourcesListChanged":false}"#)))
            let ack = try await client.transcript.first("the acknowledgement") {
                $0.method == "notifications/subscriptions/acknowledged"
            }
            #expect(ack.params?["_meta"]?[MCPProtocol.Meta.subscriptionId]?.stringValue == "sub")
            #expect(ack.params?["notifications"]?["toolsListChanged"]?.boolValue == true)
            #expect(ack.params?["notifications"]?["resourcesListChanged"] == nil)

            let mark = client.transcript.count
            #expect(
                try await client.request("tools/call", id: "2", params: params(#""name":"fake__change""#)).kind
                    == .response)
            let changed = try await client.transcript.first("tools/list_changed", since: mark) {
                $0.method == "notifications/tools/list_changed"
            }
            #expect(changed.params?["_meta"]?[MCPProtocol.Meta.subscriptionId]?.stringValue == "sub")

            // Cancelling ends the subscription without a response.
            client.notify("notifications/cancelled", params: #"{"requestId":"sub"}"#)
            try await waitUntil("the subscription is gone") { !client.session.hasSubscriptions }
            #expect(client.transcript.messages.allSatisfy { $0.id?.stringValue != "sub" })
        }
    }

    @Test("shutdown ends a subscription with a completion result")
    func subscriptionEndsGracefully() async throws {
        let gateway = try GatewayHarness()
        let client = gateway.client()
        client.send(
            client.requestLine(
                "subscriptions/listen", id: "7", params: params(#""notifications":{"toolsListChanged":true}"#)))
        _ = try await client.transcript.first("the acknowledgement") {
            $0.method == "notifications/subscriptions/acknowledged"
        }
        try await gateway.shutdown()
        let end = try await client.transcript.response(to: "7")
        #expect(end.result?["resultType"]?.stringValue == "complete")
        #expect(end.result?["_meta"]?[MCPProtocol.Meta.subscriptionId]?.intValue == 7)
    }

    @Test("a handshake-era server's request reaches a modern client as an InputRequiredResult")
    func handshakeServerAsksModernClient() async throws {
        try await withGateway(server: FakeServer.downstream(instanceMode: .perSession)) { gateway in
            let client = gateway.client()
            let first = try await client.request(
                "tools/call", id: "1", params: params(#""name":"fake__ask_client""#, meta: Self.metaWithRoots))
            let asked = try #require(first.result)
            #expect(asked["resultType"]?.stringValue == "input_required")
            let input = try #require(asked["inputRequests"]?.members?.first)
            #expect(input.value["method"]?.stringValue == "roots/list")
            let state = try #require(asked["requestState"])

            let retry = try await client.request(
                "tools/call", id: "2",
                params: params(
                    #""name":"fake__ask_client","requestState":\#(state),"#
                        + #""inputResponses":{"\#(input.key)":{"roots":[{"uri":"file:///answered"}]}}"#,
                    meta: Self.metaWithRoots))
            let relayed = try #require(retry.result?["structuredContent"])
            #expect(relayed["result"]?["roots"]?.elements?.first?["uri"]?.stringValue == "file:///answered")
            #expect(retry.result?["resultType"]?.stringValue == "complete")

            // A state Junction did not issue is refused.
            let forged = try await client.request(
                "tools/call", id: "3",
                params: params(#""name":"fake__ask_client","requestState":"j1.e30.AAAA""#, meta: Self.metaWithRoots))
            #expect(forged.errorCode == JSONRPCErrorCode.invalidParams)
        }
    }

    @Test("a modern client without the capability gets an error naming it, not a question")
    func missingCapability() async throws {
        try await withGateway(server: FakeServer.downstream(instanceMode: .perSession)) { gateway in
            let client = gateway.client()
            let response = try await client.request(
                "tools/call", id: "1", params: params(#""name":"fake__ask_client""#))
            // The server got an error for its roots/list and reports it in its result.
            let relayed = try #require(response.result?["structuredContent"])
            #expect(relayed["error"]?["code"]?.intValue == MCPProtocol.ErrorCode.missingRequiredClientCapability)
            #expect(relayed["error"]?["message"]?.stringValue?.contains("roots") == true)
        }
    }
}

@Suite("Request state seal")
struct RequestStateSealTests {
    let state = ResumeState(
        method: "tools/call", subject: "gh__issue", downstreamId: "d1", serverState: "opaque", approved: true,
        exchangeId: nil)

    @Test("a sealed state opens to what was sealed")
    func roundTrip() throws {
        let seal = RequestStateSeal()
        #expect(seal.open(seal.seal(state)) == state)
    }

    @Test("a tampered, foreign or expired state does not open")
    func refusals() throws {
        let seal = RequestStateSeal(lifetime: .seconds(60))
        let text = seal.seal(state)
        var parts = text.split(separator: ".").map(String.init)
        parts[1] = RequestStateSeal.base64URL(
            Data(#"{"m":"tools/call","n":"gh__issue","d":"d2","a":true,"e":9999999999}"#.utf8))
        #expect(seal.open(parts.joined(separator: ".")) == nil)
        #expect(RequestStateSeal().open(text) == nil)
        #expect(seal.open(text, now: Date().addingTimeInterval(120)) == nil)
        #expect(seal.open("not a state") == nil)
    }
}
