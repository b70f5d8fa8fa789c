import Foundation

/// The first line `junction stdio` sends on the daemon's socket, before any MCP message.
public struct SocketHello: Codable, Sendable, Equatable {
    public var junction = "hello"
    public var version: String
    /// The folder the AI client started `junction stdio` in.
    public var cwd: String
    /// `--workspace NAME`, when the client pinned one.
    public var workspace: String?
    public var pid: Int32

    public init(version: String, cwd: String, workspace: String?, pid: Int32) {
        self.version = version
        self.cwd = cwd
        self.workspace = workspace
        self.pid = pid
    }

    /// Why `cwd` cannot be used, or nil: it must be an absolute path without NUL (a relative one
    /// would be resolved against the daemon's own folder, and a NUL would cut the path short in
    /// every C call).
    public var cwdProblem: String? {
        if cwd.utf8.contains(0) {
            return "the hello's cwd contains a NUL character; it must be an absolute path"
        }
        if !cwd.hasPrefix("/") {
            return "the hello's cwd must be an absolute path, not '\(cwd)'"
        }
        return nil
    }
}

/// The daemon's answer to a hello: `welcome` (MCP follows) or `refused` (the socket closes).
public struct SocketWelcome: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        case welcome
        case refused
    }

    public enum Reason: String, Codable, Sendable {
        case versionMismatch = "version_mismatch"
        case unknownWorkspace = "unknown_workspace"
        case invalidHello = "invalid_hello"
        case shuttingDown = "shutting_down"
    }

    public var junction: Outcome
    public var version: String
    public var sessionId: String?
    public var reason: Reason?
    public var message: String?

    enum CodingKeys: String, CodingKey {
        case junction, version, reason, message
        case sessionId = "session_id"
    }

    public init(
        junction: Outcome, version: String, sessionId: String? = nil, reason: Reason? = nil, message: String? = nil
    ) {
        self.junction = junction
        self.version = version
        self.sessionId = sessionId
        self.reason = reason
        self.message = message
    }

    /// One JSON line.
    var line: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(((try? encoder.encode(self)) ?? Data(#"{"junction":"refused"}"#.utf8))) + [0x0A]
    }
}

/// Blocking descriptor helpers shared by the daemon's listener and the stdio client.
enum SocketIO {
    /// Reads up to and including the first newline (at most `limit` bytes). Returns the line
    /// without its newline and whatever arrived after it, or nil if the peer closed first.
    static func readLine(_ fd: Int32, limit: Int) -> (line: [UInt8], rest: [UInt8])? {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while received.count < limit {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && retry(fd, events: POLLIN) { continue }
            guard count > 0 else { return nil }
            let start = received.count
            received.append(contentsOf: buffer[0..<count])
            if let newline = received[start...].firstIndex(of: 0x0A) {
                return (Array(received[..<newline]), Array(received[(newline + 1)...]))
            }
        }
        return (received, [])
    }

    /// Writes everything, retrying short writes; false if the peer is gone.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: some Collection<UInt8>) -> Bool {
        let bytes = Array(bytes)
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return -1 }
                return write(fd, base + offset, raw.count - offset)
            }
            if written < 0 && retry(fd, events: POLLOUT) { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// Copies `from` to `to` until `from` ends, then half-closes `to` for writing.
    static func pump(from: Int32, to: Int32, toIsSocket: Bool) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
            if count < 0 && retry(from, events: POLLIN) { continue }
            guard count > 0, writeAll(to, buffer[0..<count]) else { break }
        }
        if toIsSocket { _ = shutdown(to, Int32(SHUT_WR)) }
    }

    /// After a failed read or write: true (after waiting, if the descriptor is non-blocking) when
    /// the call should be repeated.
    private static func retry(_ fd: Int32, events: Int32) -> Bool {
        switch errno {
        case EINTR:
            return true
        case EAGAIN, EWOULDBLOCK:
            // On a blocking descriptor this is SO_RCVTIMEO expiring: give up.
            guard fcntl(fd, F_GETFL) & O_NONBLOCK != 0 else { return false }
            var descriptor = pollfd(fd: fd, events: Int16(events), revents: 0)
            _ = poll(&descriptor, 1, -1)
            return true
        default:
            return false
        }
    }

    /// Gives up on a blocking read after `seconds` (hello exchange), so a silent peer cannot hold
    /// a thread forever.
    static func setReceiveTimeout(_ fd: Int32, seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
}
