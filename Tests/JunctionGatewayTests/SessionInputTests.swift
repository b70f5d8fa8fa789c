import Foundation
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionGateway

/// What a session does with bad input from its client and with servers that cannot serve: refused
/// at once with a clear error, nothing malformed forwarded, nothing left unanswered.
@Suite("Session input and unavailable servers")
struct SessionInputTests {
    @Test(
        "tools/call whose arguments or params are not objects is refused with -32602 and never forwarded",
        arguments: [
            #"{"name":"fake__echo","arguments":[1,2]}"#,
            #"{"name":"fake__echo","arguments":"text"}"#,
            #"{"name":"fake__echo","arguments":7}"#,
            #"{"name":"fake__echo","arguments":true}"#,
            #"{"name":7,"arguments":{}}"#,
            #"{"arguments":{}}"#,
            #"{"name":"fake__echo","arguments":{},"name":"fake__crash"}"#,
            #"{"name":"fake__echo","arguments":{},"_meta":[]}"#,
            #"[{"name":"fake__echo"}]"#,
        ])
    func malformedCallIsRefused(params: String) async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            // The server runs (so a forwarded call would show in its stderr log).
            #expect(try await client.callTool("fake__echo", id: "1", arguments: #"{"x":1}"#).kind == .response)
            let refused = try await client.request("tools/call", id: "2", params: params)
            #expect(refused.errorCode == JSONRPCErrorCode.invalidParams, "\(refused)")
            #expect(refused.errorMessage?.hasPrefix("Invalid params: tools/call") == true, "\(refused)")
            #expect(await gateway.fakeLogCount("request tools/call") == 1, "only the good call reached the server")
        }
    }

    @Test("null arguments are taken as none; prompts/get and resources/read are checked too")
    func otherShapes() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let none = try await client.request(
                "tools/call", id: "1", params: #"{"name":"fake__echo","arguments":null}"#)
            #expect(none.kind == .response)
            for (method, params) in [
                ("prompts/get", #"{"name":["fake__greet"]}"#),
                ("prompts/get", #"{"name":"fake__greet","arguments":[]}"#),
                ("resources/read", #"{"uri":5}"#), ("resources/read", #"{}"#), ("tools/list", #"{"cursor":3}"#),
                ("tools/list", "[]"),
            ] {
                let refused = try await client.request(method, id: #""\#(method)-\#(params.count)""#, params: params)
                #expect(refused.errorCode == JSONRPCErrorCode.invalidParams, "\(method) \(params): \(refused)")
            }
        }
    }

    @Test("a second request under an id still in flight is refused at once; the first is answered")
    func duplicateIdInFlight() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let mark = client.transcript.count
            // Long enough that the duplicate arrives while the first is surely still in flight.
            client.send(client.callLine("fake__echo", id: "7", arguments: #"{"delay_ms":3000}"#))
            client.send(client.requestLine("ping", id: "7"))
            let refused = try await client.transcript.first("the refusal", since: mark) {
                $0.errorCode == JSONRPCErrorCode.invalidRequest
            }
            #expect(refused.id == RawJSON(integer: 7))
            #expect(refused.errorMessage == "Invalid Request: duplicate request id 7 in flight")
            let answered = try await client.transcript.first("the call's answer", since: mark) {
                $0.kind == .response && $0.id == RawJSON(integer: 7)
            }
            #expect(answered.result?["structuredContent"] != nil, "the first request is the one answered")
            // Once answered, the id may be used again.
            let again = client.transcript.count
            client.send(client.requestLine("ping", id: "7"))
            let pong = try await client.transcript.first("the second ping's answer", since: again) {
                $0.id == RawJSON(integer: 7)
            }
            #expect(pong.kind == .response)
        }
    }

    @Test("a request with a null id is refused with -32600")
    func nullId() async throws {
        try await withGateway { gateway in
            let client = gateway.client()
            try await client.initialize()
            let mark = client.transcript.count
            client.send(#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#)
            let refused = try await client.transcript.first("the refusal", since: mark) { _ in true }
            #expect(refused.errorCode == JSONRPCErrorCode.invalidRequest)
            #expect(refused.id == .null)
            #expect(try await client.request("ping", id: "1").kind == .response)
        }
    }

    /// A server that writes a line to stderr (with a secret) and exits before answering anything.
    static func failingServer(name: String = "fake", secret: String = "") -> Downstream {
        Downstream(
            name: name, command: FakeServer.command,
            args: ["-c", "import sys; sys.stderr.write('cannot start: token=\(secret)\\n'); sys.exit(3)"])
    }

    @Test("a server that cannot start answers its tools at once with why, not 'Unknown tool'")
    func failedServerSaysWhy() async throws {
        try await withGateway(server: Self.failingServer()) { gateway in
            let client = gateway.client()
            try await client.initialize()
            let started = ContinuousClock.now
            let first = try await client.callTool("fake__echo", id: "1")
            #expect(first.errorCode == JSONRPCErrorCode.downstreamUnavailable, "\(first)")
            #expect(first.errorMessage?.contains("server 'fake' is unavailable") == true, "\(first)")
            #expect(first.errorMessage?.contains("cannot start") == true, "its stderr says why: \(first)")
            // Its start failed again (after a short backoff): the same answer, never a hang.
            let second = try await client.callTool("fake__other", id: "2")
            #expect(second.errorCode == JSONRPCErrorCode.downstreamUnavailable, "\(second)")
            #expect(ContinuousClock.now - started < .seconds(15))
            // A name no server owns is still unknown.
            let unknown = try await client.callTool("nobody__echo", id: "3")
            #expect(unknown.errorMessage?.hasPrefix("Unknown tool") == true, "\(unknown)")
        }
    }

    @Test("a server hanging in initialize does not hold tools/list: the others are listed at once")
    func hangingServerDoesNotStallListing() async throws {
        let hanging = Downstream(
            name: "hang", command: FakeServer.command, args: ["-c", "import time; time.sleep(600)"])
        try await withGateway(extraServers: [hanging]) { gateway in
            gateway.engine.uncataloguedListingPatience = .milliseconds(1500)
            // The fake is catalogued (as after any earlier run); the hanging server never was.
            let warm = gateway.client()
            try await warm.initialize()
            _ = try await warm.request("tools/list", id: #""warm""#)
            try await waitUntil("the fake's catalog is stored") {
                gateway.engine.storedCatalog(of: gateway.fake.id) != nil
            }
            let clients = (0..<4).map { _ in gateway.client() }
            for client in clients { try await client.initialize() }
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: [String].self) { group in
                for (index, client) in clients.enumerated() {
                    group.addTask {
                        let response = try await client.request("tools/list", id: "\(index + 10)")
                        return response.result?["tools"]?.elements?.compactMap { $0["name"]?.stringValue } ?? []
                    }
                }
                for try await names in group { #expect(names.contains("fake__echo")) }
            }
            // Bounded by the patience (1.5 s), not by the 30 s startup timeout.
            #expect(ContinuousClock.now - started < .seconds(8))
        }
    }
}
