import Foundation
import JunctionCore
import Testing

@testable import JunctionGateway

@Suite("DownstreamInstance eras")
struct DownstreamInstanceTests {
    typealias Meta = MCPProtocol.Meta

    private func json(_ text: String) throws -> RawJSON {
        try RawJSON(validating: Array(text.utf8))
    }

    /// A started modern fake, and the log of the requests it gets.
    private func startModern(
        _ pool: DownstreamPool, _ ledger: PidLedger, _ directory: TemporaryDirectory
    ) async throws -> (DownstreamInstance, RequestLog) {
        let log = RequestLog(path: directory.file("requests.jsonl"))
        return (try await sharedInstance(of: ModernServer.downstream(requestLog: log), in: pool, ledger: ledger), log)
    }

    @Test("requests to a modern server carry the client's capabilities and log level, keeping the caller's _meta")
    func modernStamping() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let (instance, _) = try await startModern(pool, ledger, directory)

            let context = RequestContext(clientCapabilities: try json(#"{"elicitation":{}}"#), logLevel: "debug")
            let params = try json(#"{"name":"echo","arguments":{"x":1},"_meta":{"traceparent":"00-abc-def-01"}}"#)
            let response = try await instance.request(
                "tools/call", params: params, onProgress: { _ in }, context: context)
            let meta = try #require(response.result?["structuredContent"]?["meta"])
            #expect(meta[Meta.protocolVersion]?.stringValue == "2026-07-28")
            #expect(meta[Meta.clientInfo]?["name"]?.stringValue == "junction")
            #expect(meta[Meta.clientInfo]?["version"]?.stringValue == JunctionVersion.current)
            #expect(meta[Meta.clientCapabilities]?["elicitation"] != nil)
            #expect(meta[Meta.logLevel]?.stringValue == "debug")
            #expect(meta["traceparent"]?.stringValue == "00-abc-def-01")
            #expect(meta["progressToken"] != nil)
            #expect(response.result?["structuredContent"]?["arguments"]?["x"]?.intValue == 1)

            // Without a context: no capabilities, no log level.
            let plain = try await callTool(instance, "echo")
            let plainMeta = try #require(plain.result?["structuredContent"]?["meta"])
            #expect(plainMeta[Meta.clientCapabilities]?.members?.isEmpty == true)
            #expect(plainMeta[Meta.logLevel] == nil)
        }
    }

    @Test("requests to a handshake server go as they are, whatever the context")
    func handshakeUnstamped() async throws {
        try await withDownstreamPool { pool, ledger, _ in
            let instance = try await sharedInstance(of: FakeServer.downstream(), in: pool, ledger: ledger)
            let context = RequestContext(clientCapabilities: try json(#"{"sampling":{}}"#), logLevel: "info")
            let response = try await callTool(instance, "echo", #"{"x":1}"#, context: context)
            // The fake echoes the params it got.
            let echoed = try #require(response.result?["structuredContent"])
            #expect(echoed["_meta"] == nil)
            #expect(echoed["arguments"]?["x"]?.intValue == 1)
        }
    }

    @Test("a modern server is never sent ping, logging/setLevel or resources/subscribe")
    func droppedMethods() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let (instance, log) = try await startModern(pool, ledger, directory)
            instance.notifyRequest("logging/setLevel", params: try json(#"{"level":"debug"}"#))
            let pong = try await instance.request("ping", params: nil)
            #expect(pong.kind == .response)
            let subscribed = try await instance.request("resources/subscribe", params: try json(#"{"uri":"a://b"}"#))
            #expect(subscribed.kind == .response)
            let unsubscribed = try await instance.request(
                "resources/unsubscribe", params: try json(#"{"uri":"a://b"}"#))
            #expect(unsubscribed.kind == .response)
            _ = try await callTool(instance, "echo")  // after everything sent before it
            let methods = log.methods
            for dropped in ["ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"] {
                #expect(!methods.contains(dropped))
            }
            // The subscription went as a stream, and its cancellation too.
            let stream = try #require(
                log.entries.first {
                    $0.method == "subscriptions/listen"
                        && $0.params?["notifications"]?["resourceSubscriptions"]?.elements?.first?.stringValue
                            == "a://b"
                })
            try await waitUntil("the server sees the stream cancelled") {
                log.entries.contains { $0.method == "notifications/cancelled" && $0.params?["requestId"] == stream.id }
            }
        }
    }

    @Test("list changes of a modern server arrive on subscriptions/listen and refresh its catalog")
    func modernListChanges() async throws {
        let discovered = Recording<[String]>()
        let notifications = Recording<JSONRPCMessage>()
        var hooks = DownstreamPool.Hooks()
        hooks.discovered = { _, catalog in discovered.append(catalog.tools.compactMap { $0["name"]?.stringValue }) }
        hooks.notification = { _, message in notifications.append(message) }
        try await withDownstreamPool(hooks: hooks) { pool, ledger, directory in
            let (instance, log) = try await startModern(pool, ledger, directory)
            try await waitUntil("the list-change stream reaches the server") {
                log.count("subscriptions/listen") == 1
            }
            let listen = try #require(log.entries.first { $0.method == "subscriptions/listen" })
            let filter = try #require(listen.params?["notifications"])
            #expect(filter["toolsListChanged"]?.boolValue == true)
            #expect(filter["promptsListChanged"]?.boolValue == true)
            #expect(filter["resourcesListChanged"]?.boolValue == true)
            #expect(listen.params?["_meta"]?[Meta.protocolVersion]?.stringValue == "2026-07-28")

            let mark = discovered.count
            _ = try await callTool(instance, "change")
            let tools = try await discovered.first("the catalog is discovered again", since: mark) {
                $0.contains("extra")
            }
            #expect(tools == ModernServer.tools + ["extra"])
            #expect(instance.catalog.tools.contains { $0["name"]?.stringValue == "extra" })
            // The acknowledgement and the list change are the pool's business, not relayed.
            #expect(
                !notifications.elements.contains {
                    $0.method == "notifications/subscriptions/acknowledged"
                        || $0.method == "notifications/tools/list_changed"
                })
        }
    }

    @Test("a modern server's resource updates reach the hooks untagged until its last subscriber leaves")
    func modernResourceSubscription() async throws {
        let notifications = Recording<JSONRPCMessage>()
        var hooks = DownstreamPool.Hooks()
        hooks.notification = { _, message in notifications.append(message) }
        try await withDownstreamPool(hooks: hooks) { pool, ledger, directory in
            let (instance, log) = try await startModern(pool, ledger, directory)
            let uri = "modern://status"
            try await instance.subscribe(uri: uri)
            try await instance.subscribe(uri: uri)  // a second session: the same stream
            let streams = log.entries.filter {
                $0.method == "subscriptions/listen" && $0.params?["notifications"]?["resourceSubscriptions"] != nil
            }
            #expect(streams.count == 1)
            let stream = try #require(streams.first)

            let touched = try await callTool(instance, "touch", #"{"uri":"\#(uri)"}"#)
            #expect(touched.result?["structuredContent"]?["notified"]?.intValue == 1)
            let update = try await notifications.first("the resource update") {
                $0.method == "notifications/resources/updated"
            }
            #expect(update.params?["uri"]?.stringValue == uri)
            #expect(update.params?["_meta"] == nil)

            // The first to leave leaves the stream open for the other.
            try await instance.unsubscribe(uri: uri)
            let still = try await callTool(instance, "touch", #"{"uri":"\#(uri)"}"#)
            #expect(still.result?["structuredContent"]?["notified"]?.intValue == 1)

            try await instance.unsubscribe(uri: uri)
            try await waitUntil("the server sees the stream cancelled") {
                log.entries.contains { $0.method == "notifications/cancelled" && $0.params?["requestId"] == stream.id }
            }
            let after = try await callTool(instance, "touch", #"{"uri":"\#(uri)"}"#)
            #expect(after.result?["structuredContent"]?["notified"]?.intValue == 0)
        }
    }

    @Test("streams a modern server ends are forgotten without error; stopping cancels those left")
    func modernStreamEnds() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let (instance, log) = try await startModern(pool, ledger, directory)
            try await instance.subscribe(uri: "modern://status")
            try await waitUntil("both streams reach the server") { log.count("subscriptions/listen") == 2 }

            let ended = try await callTool(instance, "end_streams")
            #expect(ended.result?["structuredContent"]?["ended"]?.intValue == 2)
            try await waitUntil("the ended streams are forgotten") { instance.subscriptions.open.isEmpty }
            #expect(instance.isRunning)

            try await instance.subscribe(uri: "modern://status")
            let reopened = try #require(log.entries.last { $0.method == "subscriptions/listen" })
            let pid = try #require(instance.pid)
            await pool.stop(downstreamId: instance.downstream.id)
            try await waitUntil("the stopped process exits") { processIsGone(pid) }
            #expect(
                log.entries.contains {
                    $0.method == "notifications/cancelled" && $0.params?["requestId"] == reopened.id
                })
        }
    }

    @Test("a handshake server's resource subscription is one resources/subscribe and one resources/unsubscribe")
    func handshakeResourceSubscription() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let log = RequestLog(path: directory.file("requests.jsonl"))
            let downstream = FakeServer.downstream(env: ["FAKE_REQUEST_LOG": log.path])
            let instance = try await sharedInstance(of: downstream, in: pool, ledger: ledger)
            try await instance.subscribe(uri: "fake://readme")
            try await instance.subscribe(uri: "fake://readme")  // a second session
            try await instance.unsubscribe(uri: "fake://readme")
            #expect(log.count("resources/subscribe") == 1)
            #expect(log.count("resources/unsubscribe") == 0)
            try await instance.unsubscribe(uri: "fake://readme")
            #expect(log.count("resources/unsubscribe") == 1)
            let entries = log.entries
            let subscribe = try #require(entries.first { $0.method == "resources/subscribe" })
            #expect(subscribe.params?["uri"]?.stringValue == "fake://readme")
            let unsubscribe = try #require(entries.first { $0.method == "resources/unsubscribe" })
            #expect(unsubscribe.params?["uri"]?.stringValue == "fake://readme")
            #expect(!log.methods.contains("subscriptions/listen"))
        }
    }

    @Test("a refused subscription throws the server's error")
    func refusedSubscription() async throws {
        try await withDownstreamPool { pool, ledger, _ in
            // The handshake fake answers subscriptions/listen with -32601.
            let instance = try await sharedInstance(of: FakeServer.downstream(), in: pool, ledger: ledger)
            let refused = await #expect(throws: DownstreamError.self) {
                _ = try await instance.subscriptions.open(
                    .resource("fake://readme"), params: .emptyObject, on: instance.connection,
                    acknowledgedWithin: .seconds(20))
            }
            guard case .rejected(_, "subscriptions/listen", let code, _)? = refused else {
                Issue.record("expected rejected, got \(String(describing: refused))")
                return
            }
            #expect(code == JSONRPCErrorCode.methodNotFound)
            #expect(instance.subscriptions.open.isEmpty)
        }
    }
}
