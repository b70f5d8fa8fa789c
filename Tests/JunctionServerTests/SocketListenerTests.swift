import CJunctionShims
import Foundation
import JunctionCore
import Logging
import Testing

@testable import JunctionServer

#if canImport(Glibc)
import Glibc
#endif

@Suite("SocketListener")
struct SocketListenerTests {
    /// A blocking client of the daemon's socket, as `junction stdio` is.
    private final class Client {
        let fd: Int32
        private var pending: [UInt8] = []

        init(path: String) throws {
            fd = junction_unix_connect(path)
            try #require(fd >= 0, "cannot connect to \(path)")
            SocketIO.setReceiveTimeout(fd, seconds: 20)
        }

        deinit { close(fd) }

        func send(_ text: String) throws {
            try #require(SocketIO.writeAll(fd, Array(text.utf8)))
        }

        /// The next line, or nil when the daemon closed the connection.
        func line() -> String? {
            while true {
                if let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[..<newline], as: UTF8.self)
                    pending.removeSubrange(...newline)
                    return line
                }
                var buffer = [UInt8](repeating: 0, count: 64 * 1024)
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return nil }
                pending += buffer[..<count]
            }
        }

        /// Everything until the daemon closes the connection.
        func rest() -> String {
            var all = pending
            pending = []
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                all += buffer[..<count]
            }
            return String(decoding: all, as: UTF8.self)
        }

        /// Sends a hello for `cwd` and returns the daemon's answer.
        func hello(cwd: String) throws -> SocketWelcome {
            let hello = SocketHello(version: JunctionVersion.current, cwd: cwd, workspace: nil, pid: getpid())
            try send(String(decoding: try JSONEncoder().encode(hello), as: UTF8.self) + "\n")
            let answer = try #require(line(), "no answer to the hello")
            return try JSONDecoder().decode(SocketWelcome.self, from: Data(answer.utf8))
        }
    }

    private func withListener(_ body: (APIHarness, SocketListener) async throws -> Void) async throws {
        let harness = try APIHarness()
        let listener = SocketListener(
            path: harness.home.socketPath, apiSocketPath: harness.directory.file("api.sock"),
            engine: harness.engine, logger: Logger(label: "test"))
        try await listener.start()
        do {
            try await body(harness, listener)
        } catch {
            listener.stop()
            await harness.engine.shutdown()
            throw error
        }
        listener.stop()
        await harness.engine.shutdown()
    }

    private static func threadCount() throws -> Int {
        try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count
    }

    private static let ping = #"{"jsonrpc":"2.0","id":7,"method":"ping"}"#

    @Test("the socket is 0600")
    func socketMode() async throws {
        try await withListener { harness, _ in
            let attributes = try FileManager.default.attributesOfItem(atPath: harness.home.socketPath)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
    }

    @Test("100 sessions cost no more threads than one (±4)")
    func threadsDoNotGrowWithSessions() async throws {
        try await withListener { harness, listener in
            let first = try Client(path: harness.home.socketPath)
            #expect(try first.hello(cwd: harness.directory.path).junction == .welcome)
            try first.send(Self.ping + "\n")
            #expect(first.line()?.contains(#""id":7"#) == true)
            let withOne = try Self.threadCount()
            var clients = [first]
            for _ in 1..<100 {
                let client = try Client(path: harness.home.socketPath)
                #expect(try client.hello(cwd: harness.directory.path).junction == .welcome)
                clients.append(client)
            }
            for client in clients { try client.send(Self.ping + "\n") }
            for client in clients { #expect(client.line()?.contains(#""id":7"#) == true) }
            #expect(listener.sessionCount == 100)
            let withHundred = try Self.threadCount()
            #expect(withHundred <= withOne + 4, "\(withOne) threads with 1 session, \(withHundred) with 100")
        }
    }

    @Test("a line that is not JSON-RPC is answered with an error and the session carries on")
    func garbageInput() async throws {
        try await withListener { harness, _ in
            let client = try Client(path: harness.home.socketPath)
            #expect(try client.hello(cwd: harness.directory.path).junction == .welcome)
            try client.send("this is not json\n\u{01}\u{02}\u{FF}{[\n")
            let first = try #require(client.line())
            #expect(first.contains(#""code":-32700"#), "\(first)")
            let second = try #require(client.line())
            #expect(second.contains(#""code":-32700"#), "\(second)")
            try client.send(Self.ping + "\n")
            #expect(client.line()?.contains(#""id":7"#) == true)
        }
    }

    @Test("a first line that is not a hello is refused")
    func notAHello() async throws {
        try await withListener { harness, _ in
            let client = try Client(path: harness.home.socketPath)
            try client.send("{garbage\n")
            let answer = try JSONDecoder().decode(SocketWelcome.self, from: Data(try #require(client.line()).utf8))
            #expect(answer.junction == .refused)
            #expect(answer.reason == .invalidHello)
            #expect(client.line() == nil)
        }
    }

    @Test("a client that ends or vanishes mid-line is closed and the daemon serves the next")
    func closeMidLine() async throws {
        try await withListener { harness, listener in
            // Ends its side after half a message: the daemon closes the connection.
            let halfClosed = try Client(path: harness.home.socketPath)
            #expect(try halfClosed.hello(cwd: harness.directory.path).junction == .welcome)
            try halfClosed.send(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"#)
            _ = shutdown(halfClosed.fd, Int32(SHUT_WR))
            _ = halfClosed.rest()
            // Goes away mid-hello and mid-message.
            do {
                let midHello = try Client(path: harness.home.socketPath)
                try midHello.send(#"{"junction":"hel"#)
            }
            do {
                let vanished = try Client(path: harness.home.socketPath)
                #expect(try vanished.hello(cwd: harness.directory.path).junction == .welcome)
                try vanished.send(#"{"jsonrpc":"2.0","id":1,"me"#)
            }
            let next = try Client(path: harness.home.socketPath)
            #expect(try next.hello(cwd: harness.directory.path).junction == .welcome)
            try next.send(Self.ping + "\n")
            #expect(next.line()?.contains(#""id":7"#) == true)
            #expect(listener.sessionCount >= 1)
        }
    }

    @Test("a message of several MB is read whole")
    func largeMessage() async throws {
        try await withListener { harness, _ in
            let client = try Client(path: harness.home.socketPath)
            #expect(try client.hello(cwd: harness.directory.path).junction == .welcome)
            let padding = String(repeating: "x", count: 5 * 1024 * 1024)
            let message = #"{"jsonrpc":"2.0","id":9,"method":"ping","params":{"_meta":{"pad":"\#(padding)"}}}"#
            try client.send(message + "\n")
            let answer = try #require(client.line())
            #expect(answer.contains(#""id":9"#), "\(answer.prefix(200))")
        }
    }

    @Test("a client that does not read its answers stops being read, and is read again once it does")
    func backpressure() async throws {
        try await withListener { harness, _ in
            let client = try Client(path: harness.home.socketPath)
            #expect(try client.hello(cwd: harness.directory.path).junction == .welcome)
            // Each request is answered with an error quoting its 32 KB method name.
            let method = String(repeating: "m", count: 32 * 1024)
            let request = Array((#"{"jsonrpc":"2.0","id":1,"method":"\#(method)"}"# + "\n").utf8)
            _ = fcntl(client.fd, F_SETFL, fcntl(client.fd, F_GETFL) | O_NONBLOCK)
            var written = 0
            var offset = 0
            let ceiling = 64 * 1024 * 1024
            writing: while written < ceiling {
                let count = request.withUnsafeBytes { write(client.fd, $0.baseAddress! + offset, $0.count - offset) }
                if count > 0 {
                    written += count
                    offset = (offset + count) % request.count
                    continue
                }
                guard count < 0, errno == EAGAIN || errno == EINTR else { break }
                // Blocked: the daemon has stopped reading unless the socket drains again soon.
                var descriptor = pollfd(fd: client.fd, events: Int16(POLLOUT), revents: 0)
                if poll(&descriptor, 1, 2000) == 0 { break writing }
            }
            #expect(written < 16 * 1024 * 1024, "the daemon read \(written) bytes from a client that reads nothing")
            // Reading again lets the daemon read again: a ping after the rest is answered.
            _ = fcntl(client.fd, F_SETFL, fcntl(client.fd, F_GETFL) & ~O_NONBLOCK)
            let reader = Task.detached { [fd = client.fd] in Self.readAll(fd, until: Array(#""id":7,"#.utf8)) }
            if offset > 0 { try #require(SocketIO.writeAll(client.fd, request[offset...])) }
            try client.send(Self.ping + "\n")
            #expect(await reader.value)
        }
    }

    /// Reads `fd` until `marker` has gone by (true) or the stream ends (false).
    private static func readAll(_ fd: Int32, until marker: [UInt8]) -> Bool {
        var window: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return false }
            window += buffer[..<count]
            if window.firstRange(of: marker) != nil { return true }
            window.removeFirst(max(0, window.count - marker.count))
        }
    }

    @Test("HTTP on the socket is answered 503 when the API socket is not there")
    func httpWithoutAPI() async throws {
        try await withListener { harness, _ in
            let client = try Client(path: harness.home.socketPath)
            try client.send("GET /api/v1/health HTTP/1.1\r\nhost: localhost\r\n\r\n")
            let response = client.rest()
            #expect(response.hasPrefix("HTTP/1.1 503 Service Unavailable"), "\(response)")
            #expect(response.contains(#""code":"unavailable""#))
        }
    }

    @Test("once the daemon stops accepting a hello is refused shutting_down; stop ends open sessions")
    func stopAcceptingAndStop() async throws {
        try await withListener { harness, listener in
            let open = try Client(path: harness.home.socketPath)
            #expect(try open.hello(cwd: harness.directory.path).junction == .welcome)
            listener.stopAccepting()
            let late = try Client(path: harness.home.socketPath)
            let answer = try late.hello(cwd: harness.directory.path)
            #expect(answer.junction == .refused)
            #expect(answer.reason == .shuttingDown)
            try open.send(Self.ping + "\n")
            #expect(open.line()?.contains(#""id":7"#) == true)
            listener.stop()
            #expect(open.line() == nil)
            #expect(!FileManager.default.fileExists(atPath: harness.home.socketPath))
        }
    }
}
