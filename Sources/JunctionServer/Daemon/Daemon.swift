import CJunctionShims
import Foundation
import Hummingbird
import HummingbirdCore
import JunctionCore
import JunctionGateway
import JunctionStore
import Logging
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// `junction serve`: one engine for every client session, the MCP socket, and the admin API on
/// HTTP (loopback by default) and on the socket. Runs until SIGINT or SIGTERM, then shuts down
/// in order (`DaemonCore`, docs/daemon.md): stop accepting, answer in-flight calls, end event
/// streams, stop children, flush audit, stop the servers; within `shutdown_timeout_sec` (a
/// watchdog exits regardless when it passes), or at once on a second signal.
public struct Daemon: Sendable {
    public struct Options: Sendable {
        public var host = "127.0.0.1"
        public var port = 8080
        public var allowRemote = false
        /// Started by `junction stdio`: a busy port falls back to a free one instead of failing.
        public var autoStarted = false
        /// Called once the daemon answers, with where it is and the API key.
        public var onReady: @Sendable (DaemonInfo, String) -> Void = { _, _ in }

        public init() {}
    }

    public let home: JunctionHome
    public let options: Options
    let logger: Logger

    public init(home: JunctionHome, options: Options, logger: Logger = Logger(label: "junction.daemon")) {
        self.home = home
        self.options = options
        self.logger = logger
    }

    public func run() async throws {
        guard options.allowRemote || HostPolicy.isLoopback(options.host) else {
            throw DaemonError.remoteNotAllowed(
                "--host \(options.host) would expose the API beyond this machine; pass --allow-remote to mean it")
        }
        try home.ensureExists()
        let lock = try DaemonLock.acquire(home)
        defer { lock.release() }

        let blockingLogger = logger
        BlockingAllowed.report { blockingLogger.warning("\($0)") }
        // Opening the database and the engine reads and writes synchronously: not on the pool.
        let engine = try await withTaskExecutorPreference(AppDatabase.executor) {
            [home, logger] in
            let database = try AppDatabase.open(path: home.databasePath)
            let events = EventBus()
            let approvals = ApprovalQueue(database: database, events: events)
            let expired = approvals.expireStale()
            if expired > 0 { logger.info("\(expired) approval(s) left pending by the last run are now expired") }
            let engine = try GatewayEngine(home: home, database: database, approvals: approvals, events: events)
            await engine.prepare()
            return engine
        }
        let shutdownTimeout = await withTaskExecutorPreference(AppDatabase.executor) {
            Self.shutdownTimeout(engine.database)
        }
        let apiKey = try APIKey.load(home: home)
        let runDirectory = home.file("run")
        try FileManager.default.createDirectory(
            atPath: runDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        _ = chmod(runDirectory, 0o700)
        let apiSocket = (runDirectory as NSString).appendingPathComponent("api.sock")

        var environment = ServerEnvironment(engine: engine, apiKey: apiKey, allowRemote: options.allowRemote)
        let watchdog = Watchdog(logger: logger)
        environment.watchdog = watchdog
        let http = try await withTaskExecutorPreference(AppDatabase.executor) {
            try HTTPSettings.read(database: engine.database)
        }
        environment.allowedHosts = http.allowedHosts
        environment.boundHost = options.host
        let descriptors = FileDescriptorLimit.raise()
        let connectionCap = FileDescriptorLimit.connectionCap(configured: http.maxConnections, limit: descriptors)
        let openFiles = descriptors.map(String.init) ?? "unknown"
        logger.info(
            "HTTP: \(connectionCap) connection(s) at most, idle ones closed after \(http.idleTimeout); \(openFiles) open files allowed"
        )
        var port = options.port
        if options.autoStarted, port != 0, junction_tcp_port_free(options.host, Int32(port)) == 0 {
            logger.warning("port \(port) is in use; the daemon takes a free port (see daemon.json or junction ui)")
            port = 0
        }
        let chosenPort = port
        let listener = SocketListener(
            path: home.socketPath, apiSocketPath: apiSocket, engine: engine, logger: logger)
        let startedAt = environment.startedAt
        let home = home
        let onReady = options.onReady
        let host = options.host
        let publicApp = Application(
            router: buildRouter(environment),
            server: Self.httpServer(environment, idleTimeout: http.idleTimeout, connectionCap: connectionCap),
            configuration: .init(address: .hostname(options.host, port: port), serverName: "junction"),
            onServerRunning: { channel in
                let boundPort = channel.localAddress?.port ?? chosenPort
                let urlHost = host.contains(":") ? "[\(host)]" : host
                let info = DaemonInfo(
                    pid: getpid(), version: JunctionVersion.current, url: "http://\(urlHost):\(boundPort)",
                    socket: home.socketPath, startedAt: startedAt)
                do {
                    try info.write(home)
                } catch {
                    // Clients then cannot find this daemon: `junction stdio` runs embedded instead.
                    self.logger.error(
                        "cannot write \(DaemonInfo.path(home)): \(error); clients will not find this daemon")
                }
                onReady(info, apiKey)
            },
            logger: logger)
        let socketApp = Application(
            router: buildRouter(environment),
            server: Self.httpServer(environment, idleTimeout: http.idleTimeout, connectionCap: connectionCap),
            configuration: .init(address: .unixDomainSocket(path: apiSocket), serverName: "junction"),
            logger: logger)
        let core = DaemonCore(
            engine: engine, listener: listener, metrics: environment.metrics, shutdown: environment.shutdown,
            mcp: environment.mcp, logger: logger)
        try await listener.start()
        watchdog.start(eventLoops: MultiThreadedEventLoopGroup.singleton)
        defer { watchdog.stop() }
        // A daemon that must exit before its shutdown finished still leaves no stale files.
        junction_force_exit_unlink(DaemonInfo.path(home))
        junction_force_exit_unlink(home.socketPath)
        junction_force_exit_unlink(apiSocket)
        let services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: publicApp), .init(service: socketApp),
            // Last, so it is the first told to shut down: it ends the event streams the
            // HTTP servers would otherwise wait for.
            .init(service: core),
        ]
        // The signals are ours rather than the group's: the first starts the graceful shutdown
        // and the watchdog, a second exits at once.
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        let logger = logger
        let installed = DaemonShutdown.installSignals { signal in
            logger.info(
                "signal \(signal): shutting down (at most \(shutdownTimeout.components.seconds) s; again to exit at once)"
            )
            DaemonShutdown.startWatchdog(bound: shutdownTimeout, logger: logger) { await engine.flushAudit() }
            // Short: hands the request to the group; ends by itself.
            Task { await group.triggerGracefulShutdown() }
        }
        guard installed else {
            listener.stop()
            throw DaemonError.cannotListen(
                "cannot install the SIGTERM/SIGINT handler: \(String(cString: strerror(errno)))")
        }
        do {
            try await group.run()
        } catch {
            listener.stop()
            await engine.shutdown()
            try? FileManager.default.removeItem(atPath: DaemonInfo.path(home))
            throw error
        }
        try? FileManager.default.removeItem(atPath: DaemonInfo.path(home))
        try? FileManager.default.removeItem(atPath: apiSocket)
        // The graceful path finished, but only after the watchdog fired: the exit status says so.
        if DaemonShutdown.didOverrun { junction_force_exit(DaemonShutdown.timedOutStatus) }
    }
}

extension Daemon {
    /// HTTP/1.1 as Hummingbird serves it, with a connection cap and idle timeout (each listener
    /// its own), and `/api/v1/health` answered on the event loop.
    static func httpServer(
        _ environment: ServerEnvironment, idleTimeout: Duration, connectionCap: Int
    ) -> HTTPServerBuilder {
        let startedAt = environment.startedAt
        let watchdog = environment.watchdog
        return .junction(
            idleTimeout: idleTimeout, limiter: ConnectionLimiter(maximum: connectionCap),
            webSocketRouter: buildWebSocketRouter(environment)
        ) {
            HealthProbeHandler { HealthController.health(startedAt: startedAt, watchdog: watchdog) }
        }
    }

    /// The `shutdown_timeout_sec` setting (default 10 s).
    static func shutdownTimeout(_ database: AppDatabase) -> Duration {
        .seconds(max(1, (try? SettingsRepository(database).value(.shutdownTimeoutSec)) ?? 10))
    }
}

/// The engine's life inside the daemon's service group. Being the group's last service, it is
/// the first told to shut down; the steps, in order (docs/daemon.md keeps the same list):
/// 1. stop accepting: the API answers 503 `shutting_down`, the socket refuses new hellos
///    (`shutting_down`), no downstream starts any more;
/// 2-7. `GatewayEngine.shutdown`: in-flight calls answered with an error, servers taken out of
///    service, event streams closed with `stream.closed`, children stopped (stdin, SIGTERM,
///    SIGKILL to their process groups), audit flushed;
/// 8. the socket closes and every session's connection with it.
/// The group then stops the API socket's server and the HTTP server; `Daemon.run` removes
/// `daemon.json` and the sockets.
struct DaemonCore: Service {
    let engine: GatewayEngine
    let listener: SocketListener
    let metrics: MetricsCollector
    let shutdown: ShutdownFlag
    let mcp: MCPSessionRegistry
    let logger: Logger

    func run() async throws {
        // Both cancelled below, after shutdown. The engine's background work (config reloads,
        // catalog persistence, idle stops) prefers the database executor: it reads and writes
        // synchronously, which must never block the cooperative pool.
        let background = Task(executorPreference: engine.database.executor) { await engine.run() }
        let counting = Task { [engine] in await metrics.run(engine.events) }
        // Follows the MCP-over-HTTP limits and ends idle sessions; cancelled below.
        let sweeping = Task(executorPreference: engine.database.executor) { [engine] in
            await mcp.run(database: engine.database)
        }
        try? await gracefulShutdown()
        shutdown.set()
        listener.stopAccepting()
        logger.info("shutting down: \(listener.sessionCount) session(s) open")
        await engine.shutdown()
        // Their calls answered above; now their streams end, which the HTTP server waits for.
        mcp.closeAll(reason: "Junction is shutting down")
        listener.stop()
        background.cancel()
        counting.cancel()
        sweeping.cancel()
        await background.value
        await counting.value
        await sweeping.value
    }
}

/// At most one daemon per home: an exclusive `flock` on `daemon.lock`, held for the daemon's life.
struct DaemonLock: Sendable {
    let fd: Int32

    static func acquire(_ home: JunctionHome) throws -> DaemonLock {
        let path = home.file("daemon.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DaemonError.cannotListen("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            let pid = DaemonInfo.read(home).map { " (pid \($0.pid))" } ?? ""
            throw DaemonError.alreadyRunning("a Junction daemon already runs for \(home.path)\(pid)")
        }
        return DaemonLock(fd: fd)
    }

    func release() {
        _ = flock(fd, LOCK_UN)
        close(fd)
    }
}
