import CJunctionShims
import Foundation
import JunctionCore
import JunctionStore
import Synchronization
import Testing

@testable import JunctionServer

#if canImport(Glibc)
import Glibc
#endif

/// A stand-in daemon: listens on a home's `junction.sock`, takes one connection, records the
/// request and answers with canned bytes, then closes.
final class OneShotSocketPeer: Sendable {
    let home: JunctionHome
    private let request = Mutex<String>("")
    private let answered = DispatchSemaphore(value: 0)

    init(directory: TemporaryDirectory, answer: String) throws {
        home = JunctionHome(path: directory.file("home"))
        try home.ensureExists()
        let listener = junction_unix_listen(home.socketPath, 1)
        try #require(listener >= 0, "cannot listen on \(home.socketPath)")
        Thread.detachNewThread { [self] in
            let fd = junction_accept_cloexec(listener)
            close(listener)
            if fd >= 0 {
                request.withLock { $0 = Self.readRequest(fd) }
                _ = Array(answer.utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                close(fd)
            }
            answered.signal()
        }
    }

    /// The request as received (waits for the exchange to finish).
    func receivedRequest() -> String {
        answered.wait()
        return request.withLock { $0 }
    }

    /// Reads the head, then as many body bytes as Content-Length says.
    private static func readRequest(_ fd: Int32) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        func complete() -> Bool {
            let text = String(decoding: received, as: UTF8.self)
            guard let end = text.range(of: "\r\n\r\n") else { return false }
            let length =
                text[..<end.lowerBound].split(separator: "\r\n")
                .first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            return text[end.upperBound...].utf8.count >= length
        }
        while !complete() {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }
}

@Suite("LocalAPIClient: HTTP over the daemon's unix socket")
struct LocalAPIClientTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    @Test("no daemon (no socket, or a stale one) says so, what for, and how to start one")
    func noDaemon() throws {
        let home = JunctionHome(path: directory.file("home"))
        try home.ensureExists()
        let client = LocalAPIClient(home: home, purpose: "parked calls live in the daemon")
        let expected = DaemonError.unreachable(
            "no Junction daemon is running for \(home.path); parked calls live in the daemon: start it with junction serve"
        )
        #expect(throws: expected) { try client.data("GET", "/api/v1/approvals") }
        // A daemon killed with SIGKILL leaves its socket file behind: nobody listens on it.
        let stale = junction_unix_listen(home.socketPath, 1)
        try #require(stale >= 0)
        close(stale)
        #expect(FileManager.default.fileExists(atPath: home.socketPath))
        #expect(throws: expected) { try client.events("/api/v1/approvals/stream") }
        #expect(
            throws: DaemonError.unreachable(
                "no Junction daemon is running for \(home.path); start it with junction serve")
        ) {
            try LocalAPIClient(home: home).response("GET", "/api/v1/health")
        }
    }

    @Test("a request carries Host, Connection: close and a JSON body; a 2xx body comes back whole")
    func requestAndResponse() throws {
        let peer = try OneShotSocketPeer(
            directory: directory,
            answer: "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{\"ok\": true}\n")
        struct Body: Encodable {
            var approved: Bool
            var resolution: String
        }
        let data = try LocalAPIClient(home: peer.home).data(
            "POST", "/api/v1/approvals/A1/resolve", body: Body(approved: true, resolution: "fine/ok"))
        #expect(String(decoding: data, as: UTF8.self) == "{\"ok\": true}\n")
        let request = peer.receivedRequest()
        let (head, body) = try #require(request.split(separator: "\r\n\r\n", maxSplits: 1).map(String.init).pair)
        let lines = head.split(separator: "\r\n").map(String.init)
        #expect(lines.first == "POST /api/v1/approvals/A1/resolve HTTP/1.1")
        for header in ["Host: localhost", "Connection: close", "Content-Type: application/json"] {
            #expect(lines.contains(header), "\(request)")
        }
        #expect(lines.contains("Content-Length: \(body.utf8.count)"))
        #expect(body == #"{"approved":true,"resolution":"fine/ok"}"#)
    }

    @Test("an API refusal is a LocalAPIError with the body's message, code, field and details")
    func apiError() throws {
        let body =
            #"{"code":"already_resolved","details":{"id":"A1","status":"denied"},"error":"approval A1 is already denied"}"#
        let peer = try OneShotSocketPeer(
            directory: directory,
            answer:
                "HTTP/1.1 409 Conflict\r\ntransfer-encoding: chunked\r\n\r\n\(String(body.utf8.count, radix: 16))\r\n\(body)\r\n0\r\n\r\n"
        )
        let expected = LocalAPIError(
            status: 409, code: "already_resolved", message: "approval A1 is already denied",
            details: .object(["id": .string("A1"), "status": .string("denied")]))
        #expect(throws: expected) { try LocalAPIClient(home: peer.home).data("POST", "/api/v1/approvals/A1/resolve") }
        #expect(expected.description == "approval A1 is already denied")
    }

    @Test("a refusal that is not the API's JSON shape quotes the status and the text")
    func foreignError() throws {
        let peer = try OneShotSocketPeer(
            directory: directory, answer: "HTTP/1.1 502 Bad Gateway\r\ncontent-length: 9\r\n\r\nupstream!")
        #expect(throws: LocalAPIError(status: 502, message: "the Junction daemon answered 502 Bad Gateway: upstream!"))
        {
            try LocalAPIClient(home: peer.home).data("GET", "/api/v1/approvals")
        }
    }

    @Test("an event stream yields events across chunk and line boundaries, skipping comments, then ends")
    func eventStream() throws {
        // Chunk boundaries fall inside lines and between CR and LF.
        let frames = [
            "retry: 2000\n\n", "event: approval.pending\ndata: {\"id\":", "\"A1\"}\n\n: ping\n\n",
            "id: 7\r\nevent: approval.resolved\r\ndata: line one\r", "\ndata: line two\r\n\r\n", "data:bare\n\n",
        ]
        let chunks = frames.map { "\(String($0.utf8.count, radix: 16))\r\n\($0)\r\n" }.joined()
        let peer = try OneShotSocketPeer(
            directory: directory,
            answer:
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n\(chunks)0\r\n\r\n"
        )
        let stream = try LocalAPIClient(home: peer.home).events("/api/v1/approvals/stream")
        var events: [LocalAPIClient.ServerSentEvent] = []
        while let event = try stream.next() { events.append(event) }
        #expect(
            events == [
                .init(id: nil, event: "approval.pending", data: #"{"id":"A1"}"#),
                .init(id: "7", event: "approval.resolved", data: "line one\nline two"),
                .init(id: nil, event: "message", data: "bare"),
            ])
        #expect(try stream.next() == nil)
        #expect(peer.receivedRequest().contains("Accept: text/event-stream\r\n"))
    }

    @Test("a refused stream throws the API's error")
    func refusedStream() throws {
        let peer = try OneShotSocketPeer(
            directory: directory,
            answer:
                "HTTP/1.1 404 Not Found\r\ncontent-length: 43\r\n\r\n{\"error\":\"no such endpoint\",\"code\":\"nope\"}\n"
        )
        #expect(throws: LocalAPIError(status: 404, code: "nope", message: "no such endpoint")) {
            try LocalAPIClient(home: peer.home).events("/api/v1/nothing")
        }
    }
}

extension Array {
    /// The two elements of a two-element array.
    fileprivate var pair: (Element, Element)? { count == 2 ? (self[0], self[1]) : nil }
}
