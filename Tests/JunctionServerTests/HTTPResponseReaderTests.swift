import Foundation
import Testing

@testable import JunctionServer

/// Canned bytes behind a descriptor, as a peer that sent them and closed would leave them.
final class CannedPeer {
    let pipe = Pipe()

    init(_ text: String) throws {
        try pipe.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        try pipe.fileHandleForWriting.close()
    }

    var fd: Int32 { pipe.fileHandleForReading.fileDescriptor }

    /// Head and whole body, the body decoded as UTF-8.
    func response() throws -> (HTTPResponseReader.Head, String) {
        let reader = HTTPResponseReader(fd: fd)
        let head = try reader.readHead()
        return (head, String(decoding: try reader.readBody(limit: 1 << 20), as: UTF8.self))
    }
}

@Suite("HTTPResponseReader: status, headers and the three body framings")
struct HTTPResponseReaderTests {
    @Test("Content-Length: exactly that many bytes, whatever follows")
    func contentLength() throws {
        let peer = try CannedPeer(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\nX-Two:  a b \r\n\r\n[\"héllo\"]trailing"
        )
        let (head, body) = try peer.response()
        #expect(head.status == 200 && head.reason == "OK")
        #expect(head.headers["content-type"] == "application/json")
        #expect(head.headers["x-two"] == "a b")
        #expect(body == "[\"héllo\"]")
    }

    @Test("chunked: sizes in hex with extensions, a trailer, pieces as they were sent")
    func chunked() throws {
        let peer = try CannedPeer(
            "HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5\r\nhello\r\n1;name=value\r\n,\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n")
        let reader = HTTPResponseReader(fd: peer.fd)
        let head = try reader.readHead()
        #expect(head.status == 409 && head.reason == "Conflict")
        var pieces: [String] = []
        while let piece = try reader.nextBodyPiece() { pieces.append(String(decoding: piece, as: UTF8.self)) }
        // One piece per chunk at least: a piece never spans a chunk boundary.
        #expect(pieces.count >= 3 && pieces.joined() == "hello,0123456789")
        #expect(try reader.nextBodyPiece() == nil)
    }

    @Test("no length and not chunked: the body runs to the end of the connection; LF-only lines are fine")
    func untilClose() throws {
        let (head, body) = try CannedPeer("HTTP/1.0 503 Service Unavailable\nServer: x\n\nline one\nline two")
            .response()
        #expect(head.status == 503 && head.headers["server"] == "x")
        #expect(body == "line one\nline two")
    }

    @Test("interim 1xx responses are skipped; 204 has no body")
    func interimAndNoContent() throws {
        let (head, body) = try CannedPeer("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n").response()
        #expect(head.status == 204 && body.isEmpty)
    }

    @Test("a connection that ends early is truncated, not a short body")
    func truncated() throws {
        #expect(throws: HTTPResponseReader.Failure.truncated) {
            try CannedPeer("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").response()
        }
        #expect(throws: HTTPResponseReader.Failure.truncated) {
            try CannedPeer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabc").response()
        }
        #expect(throws: HTTPResponseReader.Failure.truncated) {
            try CannedPeer("HTTP/1.1 200 OK\r\nContent-Le").response()
        }
        #expect(throws: HTTPResponseReader.Failure.truncated) { try CannedPeer("").response() }
    }

    @Test("what is not HTTP is refused")
    func malformed() throws {
        for text in [
            "SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 abc\r\n\r\n", "HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        ] {
            #expect(throws: HTTPResponseReader.Failure.self, "\(text)") { try CannedPeer(text).response() }
        }
    }
}
