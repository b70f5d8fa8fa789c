import Foundation
import JunctionCore
import JunctionGateway
import JunctionStore
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's unix socket (`$JUNCTION_HOME/junction.sock`, 0600), served on the daemon's event
/// loops. A connection that opens with a hello line is an MCP session from `junction stdio`;
/// anything else is HTTP and is spliced to the daemon's private API socket, so local tools reach
/// the admin API without a key. No connection costs a thread of its own.
final class SocketListener: Sendable {
    private struct State {
        var server: (any Channel)?
        var accepting = true
        var closed = false
        var sessions: [ObjectIdentifier: any Channel] = [:]
    }

    private let path: String
    private let apiSocketPath: String
    private let engine: GatewayEngine
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = Mutex(State())

    init(
        path: String, apiSocketPath: String, engine: GatewayEngine, logger: Logger,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.path = path
        self.apiSocketPath = apiSocketPath
        self.engine = engine
        self.logger = logger
        self.group = group
    }

    /// Binds the socket (replacing a stale one) and starts accepting.
    func start() async throws {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SocketHelloHandler(listener: self))
                }
            }
        let server: any Channel
        do {
            server = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
        } catch SocketAddressError.unixDomainSocketPathTooLong {
            throw DaemonError.cannotListen("cannot listen on \(path): the path is too long for a unix socket")
        } catch let error as IOError {
            throw DaemonError.cannotListen("cannot listen on \(path): \(String(cString: strerror(error.errnoCode)))")
        } catch {
            throw DaemonError.cannotListen("cannot listen on \(path): \(error)")
        }
        // JUNCTION_HOME is 0700, so nobody else reaches the socket before its mode is narrowed.
        guard chmod(path, 0o600) == 0 else {
            let reason = String(cString: strerror(errno))
            try? await server.close()
            throw DaemonError.cannotListen("cannot listen on \(path): \(reason)")
        }
        let closed = state.withLock { state in
            if !state.closed { state.server = server }
            return state.closed
        }
        if closed { try? await server.close() }
    }

    /// Takes no new session from now on: a hello is answered `refused`/`shutting_down` (the
    /// client then runs embedded) until `stop()` closes the socket. Sessions open go on.
    func stopAccepting() {
        state.withLock { $0.accepting = false }
    }

    /// Closes the socket and ends every MCP session (their in-flight calls were answered by the
    /// engine's shutdown; what is queued for them is still written), then removes the socket file.
    func stop() {
        let (server, sessions) = state.withLock { state in
            state.accepting = false
            state.closed = true
            defer { state.server = nil }
            return (state.server, Array(state.sessions.values))
        }
        server?.close(promise: nil)
        _ = unlink(path)
        for channel in sessions { channel.pipeline.fireUserInboundEventTriggered(GatewaySessionHandler.Stop()) }
    }

    var sessionCount: Int { state.withLock { $0.sessions.count } }

    var isAccepting: Bool { state.withLock { $0.accepting } }

    /// The outcome of a hello: a session to open, or a refusal to send.
    enum HelloDecision: Sendable {
        case welcome(target: ClientTarget, pinned: Bool)
        case refuse(SocketWelcome.Reason, String)
    }

    /// Decides on a hello line. May read the database (a pinned workspace): call it off the
    /// event loop.
    func decide(helloLine: [UInt8]) -> HelloDecision {
        guard let hello = try? JSONDecoder().decode(SocketHello.self, from: Data(helloLine)), hello.junction == "hello"
        else {
            return .refuse(.invalidHello, "the first line must be a Junction hello")
        }
        guard isAccepting else {
            return .refuse(.shuttingDown, "the Junction daemon is shutting down")
        }
        guard hello.version == JunctionVersion.current else {
            return .refuse(
                .versionMismatch,
                "the running daemon is Junction \(JunctionVersion.current), this client is \(hello.version)")
        }
        if let problem = hello.cwdProblem {
            return .refuse(.invalidHello, problem)
        }
        guard let name = hello.workspace else {
            logger.debug("session from pid \(hello.pid) in \(hello.cwd)")
            return .welcome(target: .folder((try? PathNormalizer.normalize(hello.cwd)) ?? hello.cwd), pinned: false)
        }
        guard let workspace = try? WorkspaceRepository(engine.database).get(name) else {
            return .refuse(.unknownWorkspace, "workspace '\(name)' not found. List them: junction workspace list")
        }
        logger.debug("session from pid \(hello.pid) in workspace \(workspace.name)")
        return .welcome(target: .workspace(workspace.name), pinned: true)
    }

    /// Decides on a hello off the event loop (on the database's executor) and hands the decision
    /// back on `eventLoop`.
    func decide(helloLine: [UInt8], on eventLoop: any EventLoop) -> EventLoopFuture<HelloDecision> {
        let promise = eventLoop.makePromise(of: HelloDecision.self)
        // Short: one parse and at most one read; completes the promise and ends by itself.
        Task(executorPreference: engine.database.executor) { [self] in
            promise.succeed(decide(helloLine: helloLine))
        }
        return promise.futureResult
    }

    /// A session handler for a welcomed hello, or nil when the daemon began shutting down since.
    func openSession(target: ClientTarget, pinned: Bool, channel: any Channel) -> GatewaySessionHandler? {
        let key = ObjectIdentifier(channel)
        let registered = state.withLock { state in
            guard state.accepting, !state.closed else { return false }
            state.sessions[key] = channel
            return true
        }
        guard registered else { return nil }
        channel.closeFuture.whenComplete { [self] _ in
            state.withLock { _ = $0.sessions.removeValue(forKey: key) }
        }
        return GatewaySessionHandler(engine: engine, target: target, pinned: pinned, channel: channel)
    }

    /// Connects to the daemon's private API socket on `eventLoop`.
    func connectAPI(on eventLoop: any EventLoop) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: eventLoop)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .connect(unixDomainSocketPath: apiSocketPath)
    }

    func sessionOpened(_ id: String) {
        logger.debug("session \(id) opened")
    }
}
