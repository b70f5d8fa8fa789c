import CJunctionShims
import Foundation
import JunctionCore
import JunctionStore

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client for the running daemon's admin API over its unix socket
/// (`$JUNCTION_HOME/junction.sock`, 0600), where no API key is needed. One request per
/// connection (`Connection: close`); blocking, for the CLI.
///
/// Not reaching the daemon is a ``DaemonError``; an answer that is not 2xx is a
/// ``LocalAPIError`` carrying the API's own message.
public struct LocalAPIClient: Sendable {
    /// A complete response, whatever its status.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var reason: String
        /// Header names lowercased.
        public var headers: [String: String]
        public var body: [UInt8]

        public var isSuccess: Bool { (200..<300).contains(status) }
    }

    public let home: JunctionHome
    /// Why the command needs the daemon, said when none runs ("parked calls live in the daemon").
    public var purpose: String?
    /// How long a request waits for its answer (an event stream waits as long as it is open).
    public var timeoutSeconds = 30
    /// The largest response body accepted.
    public static let bodyLimit = 64 << 20

    public init(home: JunctionHome, purpose: String? = nil) {
        self.home = home
        self.purpose = purpose
    }

    /// Sends one request (`body` encoded as JSON) and reads the whole response.
    public func response(_ method: String, _ path: String, body: (any Encodable)? = nil) throws -> Response {
        let fd = try connect()
        defer { close(fd) }
        try write(fd, method: method, path: path, body: body, accept: "application/json")
        let reader = HTTPResponseReader(fd: fd)
        do {
            let head = try reader.readHead()
            let bytes = try reader.readBody(limit: Self.bodyLimit)
            return Response(status: head.status, reason: head.reason, headers: head.headers, body: bytes)
        } catch let failure as HTTPResponseReader.Failure {
            throw unreadable(failure)
        }
    }

    /// Sends one request and returns the body of a 2xx answer; any other status throws
    /// ``LocalAPIError``.
    public func data(_ method: String, _ path: String, body: (any Encodable)? = nil) throws -> Data {
        let answer = try response(method, path, body: body)
        guard answer.isSuccess else {
            throw LocalAPIError(status: answer.status, reason: answer.reason, body: answer.body)
        }
        return Data(answer.body)
    }

    /// Opens a Server-Sent Events stream (`GET path`). A refusal throws ``LocalAPIError``.
    public func events(_ path: String) throws -> EventStream {
        let fd = try connect()
        do {
            try write(fd, method: "GET", path: path, body: nil, accept: "text/event-stream")
            let reader = HTTPResponseReader(fd: fd)
            let head = try reader.readHead()
            guard (200..<300).contains(head.status) else {
                let bytes = try reader.readBody(limit: Self.bodyLimit)
                throw LocalAPIError(status: head.status, reason: head.reason, body: bytes)
            }
            // Events may be minutes apart: from here on a read waits as long as the stream is open.
            SocketIO.setReceiveTimeout(fd, seconds: 0)
            return EventStream(fd: fd, reader: reader)
        } catch let failure as HTTPResponseReader.Failure {
            close(fd)
            throw unreadable(failure)
        } catch {
            close(fd)
            throw error
        }
    }

    // MARK: - Connection

    private var socketPath: String { home.socketPath }

    private func connect() throws -> Int32 {
        let fd = junction_unix_connect(socketPath)
        guard fd >= 0 else {
            switch errno {
            case ENOENT, ECONNREFUSED:
                let why = purpose.map { "; \($0): " } ?? "; "
                throw DaemonError.unreachable(
                    "no Junction daemon is running for \(home.path)\(why)start it with junction serve")
            case ENAMETOOLONG:
                throw DaemonError.unreachable(
                    "the socket path \(socketPath) is too long for a unix socket; use a shorter JUNCTION_HOME")
            default:
                throw DaemonError.unreachable(
                    "cannot reach the Junction daemon at \(socketPath): \(String(cString: strerror(errno)))")
            }
        }
        #if !os(Linux)
        var on: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
        SocketIO.setReceiveTimeout(fd, seconds: timeoutSeconds)
        return fd
    }

    private func write(_ fd: Int32, method: String, path: String, body: (any Encodable)?, accept: String) throws {
        var payload: Data?
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            payload = try encoder.encode(body)
        }
        var head = "\(method) \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        head += "Accept: \(accept)\r\nUser-Agent: junction/\(JunctionVersion.current)\r\n"
        if let payload {
            head += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n"
        }
        head += "\r\n"
        guard sendAll(fd, Array(head.utf8) + (payload.map(Array.init) ?? [])) else {
            let reason = String(cString: strerror(errno))
            throw DaemonError.unreachable(
                "the Junction daemon closed the connection before the request was sent: \(reason)")
        }
    }

    /// Writes everything, without SIGPIPE if the daemon has gone; false on failure.
    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        #if os(Linux)
        let flags = Int32(MSG_NOSIGNAL)
        #else
        let flags: Int32 = 0  // SO_NOSIGPIPE is set on the socket instead.
        #endif
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return send(fd, base + offset, raw.count - offset, flags)
            }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    private func unreadable(_ failure: HTTPResponseReader.Failure) -> DaemonError {
        let log = "see \(home.logsPath)/daemon.log"
        switch failure {
        case .truncated:
            return .unreachable("the Junction daemon closed the connection before it answered (\(log))")
        case .timedOut:
            return .unreachable("the Junction daemon did not answer within \(timeoutSeconds) s (\(log))")
        case .malformed, .readFailed:
            return .unreachable("the Junction daemon's answer could not be read: \(failure)")
        }
    }
}
