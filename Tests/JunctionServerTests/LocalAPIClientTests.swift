import AsyncHTTPClient
import Foundation
import JunctionStore
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import JunctionServer

/// A stand-in daemon on a home's `junction.sock`: it reads each connection's request, records
/// it, writes the canned pieces (one write each), then closes the connection, or holds it open as
/// a daemon that stopped answering would.
final class CannedSocketPeer: Sendable {
    let home: JunctionHome
    private let channel: any Channel
    private let requests: AsyncStream<String>

    init(directory: TemporaryDirectory, pieces: [String], holdOpen: Bool = false) async throws {
        let home = JunctionHome(path: directory.file("home"))
        try home.ensureExists()
        let (requests, received) = AsyncStream.makeStream(of: String.self)
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        Answerer(pieces: pieces, holdOpen: holdOpen, received: received))
                }
            }
            .bind(unixDomainSocketPath: home.socketPath)
            .get()
        self.home = home
        self.requests = requests
    }

    /// The next request as received (waits for it).
    func receivedRequest() async -> String {
        for await request in requests { return request }
        return ""
    }

    func close() async {
        try? await channel.close()
    }

    /// Runs `body` with a peer that is closed afterwards, whatever `body` does.
    @discardableResult
    static func with<Value>(
        directory: TemporaryDirectory, pieces: [String], holdOpen: Bool = false,
        _ body: (CannedSocketPeer) async throws -> Value
    ) async throws -> Value {
        let peer = try await CannedSocketPeer(directory: directory, pieces: pieces, holdOpen: holdOpen)
        do {
            let value = try await body(peer)
            await peer.close()
            return value
        } catch {
            await peer.close()
            throw error
        }
    }

    private final class Answerer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let pieces: [String]
        let holdOpen: Bool
        let received: AsyncStream<String>.Continuation
        var request: [UInt8] = []
        var answered = false

        init(pieces: [String], holdOpen: Bool, received: AsyncStream<String>.Continuation) {
            self.pieces = pieces
            self.holdOpen = holdOpen
            self.received = received
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            request += Self.unwrapInboundIn(data).readableBytesView
            guard !answered, Self.isComplete(request) else { return }
            answered = true
            received.yield(String(decoding: request, as: UTF8.self))
            for piece in pieces {
                context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(string: piece)), promise: nil)
            }
            if !holdOpen { context.close(promise: nil) }
        }

        /// The head has ended and as many body bytes as Content-Length says have come.
        static func isComplete(_ bytes: [UInt8]) -> Bool {
            let text = String(decoding: bytes, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let length =
                text[..<end.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            return text[end.upperBound...].utf8.count >= length
        }
    }
}

@Suite("LocalAPIClient: HTTP over the daemon's unix socket")
struct LocalAPIClientTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    /// A chunked text/event-stream response head followed by `frames`, each its own chunk.
    static func eventStream(_ frames: [String], end: Bool) -> [String] {
        ["HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"]
            + frames.map { "\(String($0.utf8.count, radix: 16))\r\n\($0)\r\n" } + (end ? ["0\r\n\r\n"] : [])
    }

    @Test("no daemon (no socket, or a stale one) says so, what for, and how to start one")
    func noDaemon() async throws {
        let home = JunctionHome(path: directory.file("home"))
        try home.ensureExists()
        var client = LocalAPIClient(home: home, purpose: "parked calls live in the daemon")
        // The connection fails at once; a long timeout keeps a test machine whose cooperative
        // pool is busy with other suites from turning that into a timeout.
        client.timeout = .seconds(600)
        let expected = DaemonError.unreachable(
            "no Junction daemon is running for \(home.path); parked calls live in the daemon: start it with junction serve"
        )
        await #expect(throws: expected) { try await client.data("GET", "/api/v1/approvals") }
        // A daemon killed with SIGKILL leaves its socket file behind: nobody listens on it. (A
        // listener closed in an orderly way removes its file: a second link to it stays.)
        let listening = home.socketPath + ".listening"
        let stale = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: listening).get()
        try FileManager.default.linkItem(atPath: listening, toPath: home.socketPath)
        try await stale.close()
        #expect(FileManager.default.fileExists(atPath: home.socketPath))
        await #expect(throws: expected) { try await client.events("/api/v1/approvals/stream") }
        await #expect(
            throws: DaemonError.unreachable(
                "no Junction daemon is running for \(home.path); start it with junction serve")
        ) {
            var anyPurpose = LocalAPIClient(home: home)
            anyPurpose.timeout = .seconds(600)
            return try await anyPurpose.response("GET", "/api/v1/health")
        }
    }

    @Test("a request carries Host, Accept and a JSON body; a 2xx body comes back whole")
    func requestAndResponse() async throws {
        try await CannedSocketPeer.with(
            directory: directory,
            pieces: ["HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{\"ok\": true}\n"]
        ) { peer in
            struct Body: Encodable {
                var approved: Bool
                var resolution: String
            }
            let data = try await LocalAPIClient(home: peer.home).data(
                "POST", "/api/v1/approvals/A1/resolve", body: Body(approved: true, resolution: "fine/ok"))
            #expect(String(decoding: data, as: UTF8.self) == "{\"ok\": true}\n")
            let request = await peer.receivedRequest()
            let (head, body) = try #require(request.split(separator: "\r\n\r\n", maxSplits: 1).map(String.init).pair)
            let lines = head.split(separator: "\r\n").map { $0.lowercased() }
            #expect(lines.first == "post /api/v1/approvals/a1/resolve http/1.1")
            for header in ["host: localhost", "accept: application/json", "content-type: application/json"] {
                #expect(lines.contains(header), "\(request)")
            }
            #expect(lines.contains("content-length: \(body.utf8.count)"))
            #expect(body == #"{"approved":true,"resolution":"fine/ok"}"#)
        }
    }

    @Test("an API refusal is a LocalAPIError with the body's message, code, field and details")
    func apiError() async throws {
        let body =
            #"{"code":"already_resolved","details":{"id":"A1","status":"denied"},"error":"approval A1 is already denied"}"#
        try await CannedSocketPeer.with(
            directory: directory,
            pieces: [
                "HTTP/1.1 409 Conflict\r\ntransfer-encoding: chunked\r\n\r\n",
                "\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n",
            ]
        ) { peer in
            let expected = LocalAPIError(
                status: 409, code: "already_resolved", message: "approval A1 is already denied",
                details: .object(["id": .string("A1"), "status": .string("denied")]))
            await #expect(throws: expected) {
                try await LocalAPIClient(home: peer.home).data("POST", "/api/v1/approvals/A1/resolve")
            }
            #expect(expected.description == "approval A1 is already denied")
        }
    }

    @Test("a refusal that is not the API's JSON shape quotes the status and the text")
    func foreignError() async throws {
        try await CannedSocketPeer.with(
            directory: directory, pieces: ["HTTP/1.1 502 Bad Gateway\r\ncontent-length: 9\r\n\r\nupstream!"]
        ) { peer in
            await #expect(
                throws: LocalAPIError(status: 502, message: "the Junction daemon answered 502 Bad Gateway: upstream!")
            ) {
                try await LocalAPIClient(home: peer.home).data("GET", "/api/v1/approvals")
            }
        }
    }

    @Test("an event stream yields events across chunk and line boundaries, skipping comments, then ends")
    func eventStream() async throws {
        // Chunk boundaries fall inside lines and between CR and LF.
        let frames = [
            "retry: 2000\n\n", "event: approval.pending\ndata: {\"id\":", "\"A1\"}\n\n: ping\n\n",
            "id: 7\r\nevent: approval.resolved\r\ndata: line one\r", "\ndata: line two\r\n\r\n", "data:bare\n\n",
        ]
        try await CannedSocketPeer.with(directory: directory, pieces: Self.eventStream(frames, end: true)) { peer in
            let stream = try await LocalAPIClient(home: peer.home).events("/api/v1/approvals/stream")
            var events: [LocalAPIClient.ServerSentEvent] = []
            for try await event in stream { events.append(event) }
            #expect(
                events == [
                    .init(id: nil, event: "approval.pending", data: #"{"id":"A1"}"#),
                    .init(id: "7", event: "approval.resolved", data: "line one\nline two"),
                    // The last event id lasts until another is set (the SSE spec's rule).
                    .init(id: "7", event: "message", data: "bare"),
                ])
            #expect(await peer.receivedRequest().lowercased().contains("accept: text/event-stream\r\n"))
        }
    }

    @Test("a daemon that goes away mid-stream ends the stream after the events it sent")
    func daemonGoneMidStream() async throws {
        // No last chunk: the connection just ends, as when the daemon is killed.
        let frames = ["event: approval.pending\ndata: {}\n\n", "event: approval.requested\ndata: {\"half\":"]
        try await CannedSocketPeer.with(directory: directory, pieces: Self.eventStream(frames, end: false)) { peer in
            var events: [String] = []
            for try await event in try await LocalAPIClient(home: peer.home).events("/api/v1/approvals/stream") {
                events.append(event.event)
            }
            #expect(events == ["approval.pending"])
        }
    }

    @Test("a daemon that stops answering ends a stream after the read timeout, and a request after its timeout")
    func daemonStopsAnswering() async throws {
        var configuration = LocalAPIClient.configuration
        configuration.timeout.read = .milliseconds(300)
        try await HTTPClient.withHTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration
        ) { http in
            try await CannedSocketPeer.with(
                directory: directory, pieces: Self.eventStream(["data: first\n\n"], end: false), holdOpen: true
            ) { peer in
                var iterator = try await LocalAPIClient(home: peer.home, http: http)
                    .events("/api/v1/approvals/stream").makeAsyncIterator()
                #expect(try await iterator.next()?.data == "first")
                let error = await #expect(throws: DaemonError.self) { _ = try await iterator.next() }
                #expect(
                    error?.description.hasPrefix("the Junction daemon stopped answering on its event stream") == true)
            }
        }
        let silentDirectory = try TemporaryDirectory()
        try await CannedSocketPeer.with(directory: silentDirectory, pieces: [], holdOpen: true) { silent in
            var client = LocalAPIClient(home: silent.home)
            client.timeout = .seconds(1)
            await #expect(
                throws: DaemonError.unreachable(
                    "the Junction daemon did not answer within 1 s (see \(silent.home.logsPath)/daemon.log)")
            ) {
                try await client.data("GET", "/api/v1/health")
            }
        }
    }

    @Test("a refused stream throws the API's error")
    func refusedStream() async throws {
        try await CannedSocketPeer.with(
            directory: directory,
            pieces: [
                "HTTP/1.1 404 Not Found\r\ncontent-length: 43\r\n\r\n{\"error\":\"no such endpoint\",\"code\":\"nope\"}\n"
            ]
        ) { peer in
            await #expect(throws: LocalAPIError(status: 404, code: "nope", message: "no such endpoint")) {
                try await LocalAPIClient(home: peer.home).events("/api/v1/nothing")
            }
        }
    }
}

extension Array {
    /// The two elements of a two-element array.
    fileprivate var pair: (Element, Element)? { count == 2 ? (self[0], self[1]) : nil }
}
