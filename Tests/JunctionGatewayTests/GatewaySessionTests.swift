import Foundation
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionGateway

@Suite("GatewaySession")
struct GatewaySessionTests {
    static let someServer = InstanceKey(downstreamId: "some-server", authScopeId: nil, sessionId: nil)

    private func toolNames(_ response: JSONRPCMessage) -> [String] {
        response.result?["tools"]?.elements?.compactMap { $0["name"]?.stringValue } ?? []
    }

    private func text(_ response: JSONRPCMessage) -> String? {
        response.result?["content"]?.elements?.first?["text"]?.stringValue
    }

    // MARK: - Lifecycle

    @Test(
        "initialize answers a supported version as asked, and any other with the latest supported",
        arguments: [
            ("2025-06-18", "2025-06-18"),
            ("2024-11-05", "2024-11-05"),
            ("2025-11-25", "2025-11-25"),
            ("1999-01-01", GatewaySession.supportedProtocolVersions.last ?? "?"),
        ])
    func initializeNegotiates(requested: String, answered: String) async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            let result = try await client.initialize(version: requested)
            #expect(result["protocolVersion"]?.stringValue == answered)
            #expect(result["serverInfo"]?["name"]?.stringValue == "junction")
            #expect(result["capabilities"]?["tools"]?["listChanged"]?.boolValue == true)
            #expect(result["capabilities"]?["prompts"] != nil)
            #expect(result["capabilities"]?["resources"] != nil)
            #expect(try await client.request("ping", id: "1").result == .emptyObject)
        }
    }

    @Test("a malformed line is answered with -32700 and the session carries on")
    func malformedLine() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            client.send("{this is not json")
            let parseError = try await client.transcript.first("the parse error") { $0.errorCode == -32700 }
            #expect(parseError.id == .null)

            client.send(#"[{"jsonrpc":"2.0","id":5,"method":"ping"}]"#)
            let batch = try await client.transcript.first("the batch error") { $0.errorCode == -32600 }
            #expect(batch.errorMessage?.contains("batches") == true)

            client.send(#"{"jsonrpc":"2.0","id":"bad","method":"tools/list","params":7}"#)
            let invalid = try await client.transcript.response(to: #""bad""#)
            #expect(invalid.errorCode == -32600)

            client.session.receive(.oversized(70_000_000))
            let tooLarge = try await client.transcript.first("the size error") {
                $0.errorCode == JSONRPCErrorCode.messageTooLarge
            }
            #expect(tooLarge.errorMessage?.contains("70000000 bytes") == true)

            #expect(try await client.request("ping", id: "2").kind == .response)
            let unknown = try await client.request("no/such/method", id: "3")
            #expect(unknown.errorCode == JSONRPCErrorCode.methodNotFound)
        }
    }

    // MARK: - Tools

    @Test("tools/list shows the fake's tools namespaced, without the one a rule denies")
    func listTools() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let response = try await client.request("tools/list", id: "1")
            let names = toolNames(response)
            #expect(
                names
                    == FakeServer.tools.filter { $0 != "crash" }.map {
                        ToolNaming.visibleName(namespace: "fake", name: $0)
                    }.sorted(), "tools are listed in name order, live or from the stored catalog")
            #expect(names.contains("fake__echo"))
            // Everything but the name passes through as the server sent it.
            let echo = try #require(
                response.result?["tools"]?.elements?.first { $0["name"]?.stringValue == "fake__echo" })
            #expect(echo["description"]?.stringValue == "fake echo")
            #expect(echo["inputSchema"]?.description == #"{"type":"object"}"#)
        }
    }

    @Test("tools/call reaches the server under the tool's own name and answers under the client's id")
    func callRoutesAndMapsIds() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let arguments = #"{"big":123456789012345678901234567890,"text":"caf\u00e9","list":[1,2]}"#
            let byString = try await client.callTool("fake__echo", id: #""abc""#, arguments: arguments)
            #expect(byString.kind == .response)
            #expect(byString.id?.description == #""abc""#)
            let structured = try #require(byString.result?["structuredContent"])
            #expect(structured["name"]?.stringValue == "echo")
            #expect(structured["arguments"]?["big"]?.description == "123456789012345678901234567890")
            #expect(structured["arguments"]?["text"]?.stringValue == "café")

            let byNumber = try await client.callTool("fake__echo", id: "42", arguments: #"{"n":2}"#)
            #expect(byNumber.id?.description == "42")
            #expect(byNumber.result?["structuredContent"]?["arguments"]?["n"]?.intValue == 2)

            // The server saw Junction's own integer ids, not the client's.
            let instance = try await gateway.fakeInstance()
            #expect(!instance.stderrTail.contains { $0.contains(#"id="abc""#) })
        }
    }

    @Test("a tool whose name is not a legal client name is listed shortened and called by its own name")
    func shortenedToolName() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let visible = ToolNaming.visibleName(namespace: "fake", name: "dotted.name")
            #expect(visible.hasPrefix("fake__dotted_name_"))
            #expect(toolNames(try await client.request("tools/list", id: "1")).contains(visible))
            let response = try await client.callTool(visible, id: "2")
            #expect(text(response) == "dotted.name")
        }
    }

    @Test("progress notifications reach the client under its own token")
    func progressTokensMappedBack() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let response = try await client.callTool(
                "fake__slow", id: "7", arguments: #"{"steps":3,"interval_ms":20}"#, meta: #"{"progressToken":"tok-1"}"#)
            #expect(text(response) == "slow done after 3 steps")
            let progress = client.transcript.messages.filter { $0.method == "notifications/progress" }
            #expect(progress.count == 3)
            #expect(progress.allSatisfy { $0.params?["progressToken"]?.description == #""tok-1""# })
            #expect(progress.compactMap { $0.params?["progress"]?.intValue } == [1, 2, 3])
        }
    }

    @Test("notifications/cancelled from the client gets no response and cancels the call downstream")
    func clientCancellation() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            client.send(client.callLine("fake__sleep_forever", id: #""long""#))
            try await waitUntil("the server receives the call") {
                await gateway.fakeLogged("request tools/call")
            }
            client.notify("notifications/cancelled", params: #"{"requestId":"long","reason":"changed my mind"}"#)
            try await waitUntil("the server hears of the cancellation") {
                await gateway.fakeLogged("reason=cancelled by the client")
            }
            #expect(try await client.request("ping", id: #""after""#).kind == .response)
            #expect(!client.transcript.messages.contains { $0.id?.description == #""long""# })
        }
    }

    @Test("a slow call does not delay a fast one")
    func slowDoesNotBlockFast() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            client.send(client.callLine("fake__slow", id: #""slow""#, arguments: #"{"steps":400,"interval_ms":50}"#))
            let fast = try await client.callTool("fake__echo", id: #""fast""#, arguments: #"{"quick":true}"#)
            #expect(fast.kind == .response)
            #expect(!client.transcript.messages.contains { $0.id?.description == #""slow""# })
            client.notify("notifications/cancelled", params: #"{"requestId":"slow"}"#)
            try await waitUntil("the slow call stops") { await gateway.fakeLogged("slow stopped early") }
        }
    }

    @Test("calling an unknown tool is an error")
    func unknownTool() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let noServer = try await client.callTool("nowhere__tool", id: "1")
            #expect(noServer.kind == .errorResponse)
            #expect(noServer.id?.description == "1")
            #expect(noServer.errorMessage?.contains("nowhere__tool") == true)

            let noTool = try await client.callTool("fake__missing", id: "2")
            #expect(noTool.kind == .errorResponse)
            #expect(noTool.id?.description == "2")
            #expect(noTool.errorMessage?.contains("missing") == true)
        }
    }

    @Test("a denied tool is refused with an isError result naming the rule, and the server never sees it")
    func deniedTool() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let response = try await client.callTool("fake__crash", id: "1")
            #expect(response.kind == .response)
            #expect(response.result?["isError"]?.boolValue == true)
            let message = try #require(text(response))
            #expect(message.contains("Junction denied fake__crash") && message.contains("no-crash"), "\(message)")
            #expect(try await client.callTool("fake__echo", id: "2").kind == .response)
            #expect(!(await gateway.fakeLogged("crashing on purpose")))
        }
    }

    @Test("a tool that needs approval gets the refusing gate's isError result")
    func approvalRefused() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let response = try await client.callTool("fake__stderr", id: "1")
            #expect(response.kind == .response)
            #expect(response.result?["isError"]?.boolValue == true)
            let message = try #require(text(response))
            #expect(message.contains("rule 'ask-first' requires approval for fake__stderr"), "\(message)")
            #expect(!(await gateway.fakeLogged("wrote to stderr")))
        }
    }

    @Test("a call past the server's timeout is an error and the server is told to stop")
    func callTimeout() async throws {
        try await withGateway(server: FakeServer.downstream(callTimeoutSec: 1)) { gateway in
            let client = gateway.client()
            try await client.initialize()
            let response = try await client.callTool("fake__sleep_forever", id: "1")
            #expect(response.errorCode == JSONRPCErrorCode.timeout)
            #expect(response.errorMessage?.contains("server 'fake' did not answer within 1 s") == true)
            try await waitUntil("the server hears of the cancellation") {
                await gateway.fakeLogged("reason=timed out in Junction")
            }
        }
    }

    // MARK: - Resources and prompts

    @Test("resources are listed and read from the server that owns them")
    func resources() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let list = try await client.request("resources/list", id: "1")
            #expect(list.result?["resources"]?.elements?.compactMap { $0["uri"]?.stringValue } == ["fake://readme"])
            let templates = try await client.request("resources/templates/list", id: "2")
            #expect(
                templates.result?["resourceTemplates"]?.elements?.compactMap { $0["uriTemplate"]?.stringValue }
                    == ["fake://items/{id}"])

            let readme = try await client.request("resources/read", id: "3", params: #"{"uri":"fake://readme"}"#)
            #expect(readme.id?.description == "3")
            #expect(readme.result?["contents"]?.elements?.first?["text"]?.stringValue == "the fake readme")

            let item = try await client.request("resources/read", id: "4", params: #"{"uri":"fake://items/42"}"#)
            #expect(item.result?["contents"]?.elements?.first?["text"]?.stringValue == "item 42")

            let unknown = try await client.request("resources/read", id: "5", params: #"{"uri":"other://x"}"#)
            #expect(unknown.errorCode == JSONRPCErrorCode.invalidParams)
            #expect(unknown.errorMessage?.contains("other://x") == true)
        }
    }

    @Test("prompts are listed namespaced and fetched by their namespaced name")
    func prompts() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let list = try await client.request("prompts/list", id: "1")
            let prompts = try #require(list.result?["prompts"]?.elements)
            #expect(prompts.compactMap { $0["name"]?.stringValue } == ["fake__greet"])
            #expect(prompts.first?["arguments"]?.description == #"[{"name":"name","required":true}]"#)

            let prompt = try await client.request(
                "prompts/get", id: "2", params: #"{"name":"fake__greet","arguments":{"name":"Ada"}}"#)
            #expect(prompt.id?.description == "2")
            let message = prompt.result?["messages"]?.elements?.first
            #expect(message?["content"]?["text"]?.stringValue == "Hello, Ada!")

            let unknown = try await client.request("prompts/get", id: "3", params: #"{"name":"fake__nope"}"#)
            #expect(unknown.errorCode == JSONRPCErrorCode.invalidParams)
        }
    }

    // MARK: - Changes and endings

    @Test("a downstream's list_changed reaches the client as notifications/tools/list_changed")
    func listChangedRelayed() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            #expect(!toolNames(try await client.request("tools/list", id: "1")).contains("fake__extra"))
            let mark = client.transcript.count
            #expect(try await client.callTool("fake__change", id: "2").kind == .response)
            _ = try await client.transcript.first("tools/list_changed", since: mark) {
                $0.method == "notifications/tools/list_changed"
            }
            #expect(toolNames(try await client.request("tools/list", id: "3")).contains("fake__extra"))
            #expect(text(try await client.callTool("fake__extra", id: "4")) == "extra")
        }
    }

    @Test("a per-session server runs one process per session and stops when its session closes")
    func perSessionProcesses() async throws {
        try await withGateway(server: FakeServer.downstream(instanceMode: .perSession)) { gateway in
            let first = gateway.client()
            let second = gateway.client()
            try await first.initialize()
            try await second.initialize()
            #expect(try await first.callTool("fake__echo", id: "1").kind == .response)
            #expect(try await second.callTool("fake__echo", id: "1").kind == .response)
            let instances = await gateway.engine.pool.running()
            #expect(instances.count == 2)
            #expect(Set(instances.compactMap(\.key.sessionId)) == [first.session.id, second.session.id])

            let firstPid = try #require(instances.first { $0.key.sessionId == first.session.id }?.pid)
            first.session.close()
            try await waitUntil("the closed session's server exits") { processIsGone(firstPid) }
            #expect(try await second.callTool("fake__echo", id: "2").kind == .response)
        }
    }

    @Test("a per-session server's request to its client is relayed to that session and answered back")
    func serverRequestRelayed() async throws {
        try await withGateway(server: FakeServer.downstream(instanceMode: .perSession)) { gateway in
            let client = gateway.client()
            try await client.initialize()
            client.send(client.callLine("fake__ask_client", id: #""ask""#))
            let asked = try await client.transcript.first("the server's request") { $0.kind == .request }
            #expect(asked.method == "roots/list")
            let askedId = try #require(asked.id?.description)
            client.send(#"{"jsonrpc":"2.0","id":\#(askedId),"result":{"roots":[{"uri":"file:///somewhere"}]}}"#)
            let response = try await client.transcript.response(to: #""ask""#)
            let relayed = try #require(response.result?["structuredContent"])
            // The server gets the answer under its own request id.
            #expect(relayed["id"]?.stringValue?.hasPrefix("srv-") == true)
            #expect(relayed["result"]?["roots"]?.elements?.first?["uri"]?.stringValue == "file:///somewhere")
        }
    }

    @Test("a request the server withdraws is withdrawn from the client too")
    func serverRequestWithdrawn() async throws {
        try await withGateway(server: FakeServer.downstream(instanceMode: .perSession)) { gateway in
            let client = gateway.client()
            try await client.initialize()
            client.send(client.callLine("fake__ask_client", id: #""ask""#, arguments: #"{"withdrawable":true}"#))
            let asked = try await client.transcript.first("the server's request") { $0.kind == .request }
            let askedId = try #require(asked.id)
            // Withdrawn only once the client has it: earlier, the gateway rightly never asks at all.
            client.send(client.callLine("fake__withdraw_asks", id: #""withdraw""#))
            let cancelled = try await client.transcript.first("the withdrawal") {
                $0.method == "notifications/cancelled" && $0.params?["requestId"] == askedId
            }
            #expect(cancelled.params?["reason"]?.stringValue != nil)
            let response = try await client.transcript.response(to: #""ask""#)
            #expect(response.result?.description.contains("withdrawn") == true)
        }
    }

    @Test("a shared server's request to a client is refused, since no one client owns it")
    func sharedServerRequestRefused() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let response = try await client.callTool("fake__ask_client", id: "1")
            #expect(
                response.result?["structuredContent"]?["error"]?["code"]?.intValue == JSONRPCErrorCode.methodNotFound)
            #expect(!client.transcript.messages.contains { $0.kind == .request })
        }
    }

    @Test("closing the session cancels its calls in flight downstream and answers nothing more")
    func closeCancelsInFlight() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            client.send(client.callLine("fake__sleep_forever", id: "1"))
            client.send(client.callLine("fake__slow", id: "2", arguments: #"{"steps":400,"interval_ms":50}"#))
            try await waitUntil("the server receives both calls") {
                await gateway.fakeLogCount("request tools/call") == 2
            }
            client.session.close()
            try await waitUntil("the server hears both cancellations") {
                let woke = await gateway.fakeLogged("sleep_forever woke by cancellation")
                let stopped = await gateway.fakeLogged("slow stopped early")
                return woke && stopped
            }
            #expect(!client.transcript.messages.contains { $0.id?.description == "1" || $0.id?.description == "2" })
            // A closed session takes no new requests.
            client.send(client.requestLine("ping", id: "3"))
            #expect(!client.transcript.messages.contains { $0.id?.description == "3" })
        }
    }

    @Test("logging/setLevel checks the level and filters relayed downstream log messages below it")
    func logLevelFilters() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let bad = try await client.request("logging/setLevel", id: "1", params: #"{"level":"loud"}"#)
            #expect(bad.errorCode == JSONRPCErrorCode.invalidParams)
            let ok = try await client.request("logging/setLevel", id: "2", params: #"{"level":"warning"}"#)
            #expect(ok.kind == .response)

            let mark = client.transcript.count
            client.session.relayLog(
                try RawJSON(validating: Array(#"{"level":"info","data":"quiet"}"#.utf8)), from: Self.someServer)
            client.session.relayLog(
                try RawJSON(validating: Array(#"{"level":"error","data":"loud"}"#.utf8)), from: Self.someServer)
            let relayed = try await client.transcript.first("the error-level message", since: mark) {
                $0.method == "notifications/message"
            }
            #expect(relayed.params?["data"]?.stringValue == "loud")
            #expect(
                !client.transcript.messages.dropFirst(mark).contains {
                    $0.params?["data"]?.stringValue == "quiet"
                })
        }
    }

    @Test("a scope a rule gives the whole namespace is used to list the server too: one process, with its secret")
    func discoveryUsesTheRoutedScope() async throws {
        try await withGateway { gateway in
            let scopes = AuthScopeRepository(gateway.database, box: try SecretBox.load(home: gateway.home))
            let scope = try scopes.create(
                name: "fx", server: gateway.fake.name, secrets: .init(env: ["FAKE_SECRET": "s3cret-value"]))
            try RouteRuleRepository(gateway.database).create(
                RouteRule(toolPattern: "fake__*", authScopeId: scope.id, policy: .allow))
            try gateway.engine.routing.refresh()

            let client = gateway.client()
            try await client.initialize()
            let listed = try await client.request("tools/list", id: "1")
            #expect(listed.kind == .response)
            let response = try await client.callTool("fake__env", id: "2", arguments: #"{"name":"FAKE_SECRET"}"#)
            #expect(response.result.map { $0.description.contains("s3cret-value") } == true)
            let fakes = await gateway.engine.pool.running().filter { $0.key.downstreamId == gateway.fake.id }
            #expect(fakes.count == 1, "\(fakes.map(\.key))")
            #expect(fakes.first?.key.authScopeId == scope.id)
        }
    }
}
