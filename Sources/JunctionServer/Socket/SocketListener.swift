import CJunctionShims
import Foundation
import JunctionCore
import JunctionGateway
import JunctionStore
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's unix socket (`$JUNCTION_HOME/junction.sock`, 0600). A connection that opens with
/// a hello line is an MCP session from `junction stdio`; anything else is HTTP and is spliced to
/// the daemon's private API socket, so local tools reach the admin API without a key.
final class SocketListener: Sendable {
    private let path: String
    private let apiSocketPath: String
    private let engine: GatewayEngine
    private let logger: Logger
    private let listenFD = Mutex<Int32>(-1)
    private let sessions = Mutex<[ObjectIdentifier: DescriptorSession]>([:])
    private let accepting = Mutex(true)
    private let closed = Mutex(false)

    init(path: String, apiSocketPath: String, engine: GatewayEngine, logger: Logger) {
        self.path = path
        self.apiSocketPath = apiSocketPath
        self.engine = engine
        self.logger = logger
    }

    /// Binds the socket and starts accepting on a thread of its own.
    func start() throws {
        let fd = junction_unix_listen(path, 128)
        guard fd >= 0 else {
            let reason =
                errno == ENAMETOOLONG ? "the path is too long for a unix socket" : String(cString: strerror(errno))
            throw DaemonError.cannotListen("cannot listen on \(path): \(reason)")
        }
        listenFD.withLock { $0 = fd }
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.name = "junction.socket.accept"
        thread.start()
    }

    /// Takes no new session from now on: a hello is answered `refused`/`shutting_down` (the
    /// client then runs embedded) until `stop()` closes the socket. Sessions open go on.
    func stopAccepting() {
        accepting.withLock { $0 = false }
    }

    /// Closes the socket and ends every MCP session (their in-flight calls were answered by the
    /// engine's shutdown), then removes the socket file.
    func stop() {
        accepting.withLock { $0 = false }
        closed.withLock { $0 = true }
        let fd = listenFD.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        if fd >= 0 {
            _ = shutdown(fd, Int32(SHUT_RDWR))
            _ = close(fd)
        }
        _ = unlink(path)
        for session in sessions.withLock({ Array($0.values) }) { session.stop() }
    }

    var sessionCount: Int { sessions.withLock { $0.count } }

    /// Accepts until `stop()` closes the descriptor (a connection accepted while shutting down is
    /// refused with a reason rather than left unanswered).
    private func acceptLoop(_ fd: Int32) {
        while !closed.withLock({ $0 }) {
            let client = junction_accept_cloexec(fd)
            guard client >= 0 else {
                if errno == EMFILE || errno == ENFILE || errno == ECONNABORTED {
                    usleep(10_000)  // blocking-ok: the accept loop's own thread, out of descriptors
                    continue
                }
                break
            }
            let thread = Thread { [self] in serve(client) }
            thread.name = "junction.socket.connection"
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        SocketIO.setReceiveTimeout(fd, seconds: 10)
        guard let (first, rest) = SocketIO.readLine(fd, limit: 64 * 1024), !first.isEmpty else {
            _ = close(fd)
            return
        }
        if first.first == UInt8(ascii: "{") {
            SocketIO.setReceiveTimeout(fd, seconds: 0)
            serveMCP(fd, helloLine: first, rest: rest)
        } else {
            SocketIO.setReceiveTimeout(fd, seconds: 0)
            spliceHTTP(fd, prefix: first + [0x0A] + rest)
        }
    }

    private func refuse(_ fd: Int32, _ reason: SocketWelcome.Reason, _ message: String) {
        let answer = SocketWelcome(
            junction: .refused, version: JunctionVersion.current, reason: reason, message: message)
        SocketIO.writeAll(fd, answer.line)
        _ = close(fd)
    }

    private func serveMCP(_ fd: Int32, helloLine: [UInt8], rest: [UInt8]) {
        guard let hello = try? JSONDecoder().decode(SocketHello.self, from: Data(helloLine)), hello.junction == "hello"
        else {
            refuse(fd, .invalidHello, "the first line must be a Junction hello")
            return
        }
        guard accepting.withLock({ $0 }) else {
            refuse(fd, .shuttingDown, "the Junction daemon is shutting down")
            return
        }
        guard hello.version == JunctionVersion.current else {
            refuse(
                fd, .versionMismatch,
                "the running daemon is Junction \(JunctionVersion.current), this client is \(hello.version)")
            return
        }
        if let problem = hello.cwdProblem {
            refuse(fd, .invalidHello, problem)
            return
        }
        let target: ClientTarget
        if let name = hello.workspace {
            guard let workspace = try? WorkspaceRepository(engine.database).get(name) else {
                refuse(fd, .unknownWorkspace, "workspace '\(name)' not found. List them: junction workspace list")
                return
            }
            target = .workspace(workspace.name)
        } else {
            target = .folder((try? PathNormalizer.normalize(hello.cwd)) ?? hello.cwd)
        }
        let connection = DescriptorSession(
            engine: engine, target: target, pinned: hello.workspace != nil, readFD: fd, writeFD: fd, isSocket: true,
            initialBytes: rest)
        let welcome = SocketWelcome(
            junction: .welcome, version: JunctionVersion.current, sessionId: connection.session.id)
        guard SocketIO.writeAll(fd, welcome.line) else {
            connection.session.close()
            _ = close(fd)
            return
        }
        let key = ObjectIdentifier(connection)
        sessions.withLock { $0[key] = connection }
        logger.debug("session \(connection.session.id) opened (pid \(hello.pid), \(hello.cwd))")
        let done = DispatchSemaphore(value: 0)  // blocking-ok: this connection's own thread
        // Ends when the client disconnects or stop() shuts the socket down.
        Task {
            await connection.run()
            done.signal()
        }
        done.wait()  // blocking-ok: this connection's own thread, until its session ends
        sessions.withLock { $0[key] = nil }
    }

    private func spliceHTTP(_ client: Int32, prefix: [UInt8]) {
        let upstream = junction_unix_connect(apiSocketPath)
        guard upstream >= 0 else {
            let body = #"{"error":"the admin API is not available","code":"unavailable"}"#
            let response =
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
            SocketIO.writeAll(client, Array(response.utf8))
            _ = close(client)
            return
        }
        guard SocketIO.writeAll(upstream, prefix) else {
            _ = close(upstream)
            _ = close(client)
            return
        }
        let requestsDone = DispatchSemaphore(value: 0)  // blocking-ok: the splice's own thread
        let toServer = Thread {
            SocketIO.pump(from: client, to: upstream, toIsSocket: true)
            requestsDone.signal()
        }
        toServer.name = "junction.socket.splice"
        toServer.start()
        SocketIO.pump(from: upstream, to: client, toIsSocket: true)
        // The API closed its side: end the client's too, which also ends the other pump; the
        // descriptors close only once both pumps are done with them.
        _ = shutdown(client, Int32(SHUT_RDWR))
        _ = shutdown(upstream, Int32(SHUT_RDWR))
        requestsDone.wait()  // blocking-ok: the splice's own thread, until the other pump ends
        _ = close(upstream)
        _ = close(client)
    }
}
