import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads one HTTP/1.1 response from a blocking descriptor: the status line and headers, then the
/// body piece by piece as it arrives, framed by `Content-Length`, by chunked transfer coding
/// (Hummingbird streams bodies of unknown length, such as SSE, that way), or by the end of the
/// connection. Not thread-safe: one reader per connection, used by one thread.
final class HTTPResponseReader {
    struct Head: Sendable, Equatable {
        var status: Int
        var reason: String
        /// Header names lowercased; a repeated header keeps its last value.
        var headers: [String: String]
    }

    /// Why a response could not be read.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// The peer closed the connection before the response (or its body) was complete.
        case truncated
        /// SO_RCVTIMEO passed without a byte.
        case timedOut
        /// Not HTTP/1.x, or a malformed line.
        case malformed(String)
        /// A read failed with this errno.
        case readFailed(Int32)

        var description: String {
            switch self {
            case .truncated: "the connection ended before the response was complete"
            case .timedOut: "no answer in time"
            case .malformed(let what): "not HTTP as expected: \(what)"
            case .readFailed(let code): String(cString: strerror(code))
            }
        }
    }

    private enum Framing {
        case length(remaining: Int)
        /// `remaining` bytes of the current chunk are left; nil before a chunk-size line.
        case chunked(remaining: Int?)
        case untilClose
        case done
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes of `buffer` before this index are consumed.
    private var start = 0
    private var framing = Framing.done
    private var ended = false

    /// The longest status, header or chunk-size line accepted.
    static let lineLimit = 64 * 1024

    init(fd: Int32) {
        self.fd = fd
    }

    /// Reads the status line and the headers (skipping any 1xx interim responses) and sets up
    /// the body's framing.
    func readHead() throws -> Head {
        while true {
            let head = try readOneHead()
            if (100..<200).contains(head.status) { continue }
            let encoding = head.headers["transfer-encoding"]?.lowercased() ?? ""
            if head.status == 204 || head.status == 304 {
                framing = .done
            } else if encoding.split(separator: ",").last?.trimmingCharacters(in: .whitespaces) == "chunked" {
                framing = .chunked(remaining: nil)
            } else if let text = head.headers["content-length"] {
                guard let length = Int(text.trimmingCharacters(in: .whitespaces)), length >= 0 else {
                    throw Failure.malformed("content-length '\(text)'")
                }
                framing = length == 0 ? .done : .length(remaining: length)
            } else {
                framing = .untilClose
            }
            return head
        }
    }

    /// The next piece of the body as it arrives, or nil once the body is complete.
    func nextBodyPiece() throws -> [UInt8]? {
        while true {
            switch framing {
            case .done:
                return nil
            case .untilClose:
                guard try available() else {
                    framing = .done
                    return nil
                }
                return take(buffer.count - start)
            case .length(let remaining):
                guard try available() else { throw Failure.truncated }
                let piece = take(min(remaining, buffer.count - start))
                framing = remaining == piece.count ? .done : .length(remaining: remaining - piece.count)
                return piece
            case .chunked(.none):
                let line = try readLine()
                let hex = line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
                guard let size = Int(hex.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                    throw Failure.malformed("chunk size '\(line)'")
                }
                if size == 0 {
                    // The trailer section, ended by an empty line.
                    while try !readLine().isEmpty {}
                    framing = .done
                    return nil
                }
                framing = .chunked(remaining: size)
            case .chunked(.some(let remaining)):
                guard try available() else { throw Failure.truncated }
                let piece = take(min(remaining, buffer.count - start))
                if remaining == piece.count {
                    guard try readLine().isEmpty else { throw Failure.malformed("chunk longer than its size") }
                    framing = .chunked(remaining: nil)
                } else {
                    framing = .chunked(remaining: remaining - piece.count)
                }
                return piece
            }
        }
    }

    /// The rest of the body, at most `limit` bytes.
    func readBody(limit: Int) throws -> [UInt8] {
        var body: [UInt8] = []
        while let piece = try nextBodyPiece() {
            body += piece
            guard body.count <= limit else { throw Failure.malformed("a body larger than \(limit) bytes") }
        }
        return body
    }

    // MARK: - Lines and bytes

    private func readOneHead() throws -> Head {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]), (100...999).contains(status)
        else { throw Failure.malformed("status line '\(statusLine.prefix(100))'") }
        var headers: [String: String] = [:]
        var total = 0
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            total += line.utf8.count
            guard total <= Self.lineLimit, let colon = line.firstIndex(of: ":") else {
                throw Failure.malformed("header '\(line.prefix(100))'")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            headers[name] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Head(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: headers)
    }

    /// A line ended by LF (a CR before it dropped), as text.
    private func readLine() throws -> String {
        // Counted from `start`, which fill() may move when it compacts the buffer.
        var scanned = 0
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start, buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            scanned = buffer.count - start
            guard scanned <= Self.lineLimit else { throw Failure.malformed("a line too long") }
            guard try fill() else { throw Failure.truncated }
        }
    }

    /// Whether unconsumed bytes are buffered, reading more if none are; false at the end of the
    /// connection.
    private func available() throws -> Bool {
        if start < buffer.count { return true }
        return try fill()
    }

    private func take(_ count: Int) -> [UInt8] {
        let piece = Array(buffer[start..<(start + count)])
        start += count
        return piece
    }

    /// Reads what the peer has sent (blocking); false at the end of the connection.
    private func fill() throws -> Bool {
        if ended { return false }
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                buffer += chunk[0..<count]
                return true
            }
            if count == 0 {
                ended = true
                return false
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: throw Failure.timedOut
            default: throw Failure.readFailed(errno)
            }
        }
    }
}
