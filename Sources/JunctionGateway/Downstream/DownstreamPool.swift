import Foundation
import JunctionCore
import JunctionStore
import Logging
import Synchronization

/// Starts downstream servers lazily, shares them between sessions (or not, per instance mode),
/// discovers what they offer, restarts them with exponential backoff after a crash, and stops
/// them when idle.
public actor DownstreamPool {
    /// What a server looks like from outside, for status displays and error messages.
    public struct Status: Sendable, Codable, Hashable {
        public var downstreamId: String
        public var state: String  // stopped | starting | running | backoff | crash_loop
        public var instances: Int
        public var crashes: Int
        public var lastError: String?
        public var restartInSeconds: Double?
        /// The MCP era and version its running processes speak (`modern` 2026-07-28, or
        /// `handshake` and the version `initialize` settled); nil while none runs.
        public var era: String?
        public var protocolVersion: String?
        /// What the periodic health checks found (see `DownstreamPool+Health.swift`).
        public var health = Health()

        enum CodingKeys: String, CodingKey {
            case state, instances, crashes, era, health
            case downstreamId = "server_id"
            case lastError = "last_error"
            case restartInSeconds = "restart_in_sec"
            case protocolVersion = "protocol_version"
        }

        /// The same state, apart from the restart countdown (which changes by itself) and what
        /// each passing health check refreshes (its time, its round trip).
        func isSameState(as other: Status) -> Bool {
            var this = self
            this.restartInSeconds = other.restartInSeconds
            this.health.lastCheck = other.health.lastCheck
            this.health.responseTimeMs = other.health.responseTimeMs
            this.health.lastResult = other.health.lastResult
            return this == other
        }
    }

    public struct Options: Sendable {
        public var startupTimeout: Duration = .seconds(30)
        public var maxMessageBytes = 64 * 1024 * 1024
        /// Longest a call waits for a backoff to end before failing fast.
        public var maxBackoffWait: Duration = .seconds(5)
        /// The handshake-era version Junction asks for in `initialize`.
        public var protocolVersion = "2025-06-18"
        /// Longest the era probe (`server/discover`) waits for an answer before falling back to
        /// `initialize` (a legacy server may never answer an unknown method); at most the startup
        /// timeout.
        public var probeTimeout: Duration = .seconds(5)
        /// Time between health checks of running servers (zero: none). Setting
        /// `health_check_interval_sec`.
        public var healthCheckInterval: Duration = .seconds(30)
        /// Longest a health check waits for its answer. Setting `health_check_timeout_sec`.
        public var healthCheckTimeout: Duration = .seconds(10)
        /// Failed checks in a row that make a server unhealthy (restarted). Setting
        /// `health_check_failures`.
        public var healthCheckFailures = 3
        public init() {}
    }

    /// Hooks the engine supplies.
    public struct Hooks: Sendable {
        /// A per-session instance's request to its client (sampling, elicitation, roots).
        public var clientRequest: @Sendable (String, JSONRPCMessage) async -> JSONRPCMessage = { _, request in
            .errorResponse(
                id: request.id, code: JSONRPCErrorCode.methodNotFound,
                message: "Method not found: \(request.method ?? "")")
        }
        /// Discovery finished (at start or after list_changed): the engine persists the catalog.
        public var discovered: @Sendable (Downstream, Catalog) -> Void = { _, _ in }
        /// Notifications a downstream sends that the engine may relay (logging, resource updates).
        public var notification: @Sendable (InstanceKey, JSONRPCMessage) -> Void = { _, _ in }
        /// A server's status changed (starting, running, backoff, crash_loop, stopped, or its count
        /// of instances or crashes). Called on the pool: keep it short. A backoff that runs out is
        /// not reported (it changes nothing until the next start).
        public var statusChanged: @Sendable (Downstream, Status) -> Void = { _, _ in }
        /// The credential source of a remote server under an auth scope (nil: the server's own),
        /// or nil when it is called without one (OAuth not set up).
        public var authorizer: @Sendable (Downstream, String?) -> (any HTTPAuthorizer)? = { _, _ in nil }
        /// The server's definition as it stands now, or nil when it was removed or disabled: what a
        /// server the health checks found unhealthy is started again as.
        public var current: @Sendable (Downstream) -> Downstream? = { $0 }
        public init() {}
    }

    struct CrashRecord {
        var count = 0
        var lastCrash: ContinuousClock.Instant?
        var lastError: String?
        var restartAt: ContinuousClock.Instant?
    }

    private let home: JunctionHome
    private let secrets: @Sendable (String) throws -> AuthScopeRepository.Secrets
    var options: Options
    var hooks = Hooks()
    /// Running instances. Changed only on the actor; also read without it (`readyInstance`) so a
    /// call to a server already running costs no actor hop.
    private let live = Mutex<[InstanceKey: DownstreamInstance]>([:])
    var instances: [InstanceKey: DownstreamInstance] {
        get { live.withLock { $0 } }
        set { live.withLock { $0 = newValue } }
    }
    var starting: [InstanceKey: Task<DownstreamInstance, any Error>] = [:]
    var crashes: [String: CrashRecord] = [:]
    private var refreshes: [InstanceKey: Task<Void, Never>] = [:]
    /// The era each server was last found to speak, for the pool's lifetime: a server remembered
    /// as handshake-era is not probed again (some legacy servers die on an unknown method).
    var eras: [EraMemoryKey: ProtocolEra] = [:]
    var stopping = false
    /// Every process started and not yet exited, for shutdown.
    private let processes = ProcessTracker()
    /// The status last reported through `hooks.statusChanged`, per downstream id.
    private var reported: [String: Status] = [:]
    /// Health checks: per instance, per server, and the restarts they scheduled.
    var instanceHealth: [InstanceKey: InstanceHealth] = [:]
    var serverHealth: [String: ServerHealth] = [:]
    var healthRestarts: [InstanceKey: Task<Void, Never>] = [:]
    let logger = Logger(label: "junction.pool")

    public init(
        home: JunctionHome,
        options: Options = Options(),
        secrets: @escaping @Sendable (String) throws -> AuthScopeRepository.Secrets
    ) {
        self.home = home
        self.options = options
        self.secrets = secrets
    }

    public func setHooks(_ hooks: Hooks) {
        self.hooks = hooks
    }

    /// Longest a server may take to start (handshake and discovery); starts already under way
    /// keep the timeout they began with. Setting `startup_timeout_sec`.
    public func setStartupTimeout(_ timeout: Duration) {
        options.startupTimeout = timeout
    }

    /// The running instance for a key, starting it (once, however many callers ask) if needed.
    public func instance(
        for downstream: Downstream, authScopeId: String?, sessionId: String?
    ) async throws -> DownstreamInstance {
        guard !stopping else {
            throw DownstreamError.unavailable(server: downstream.name, reason: "Junction is shutting down", stderr: [])
        }
        guard downstream.enabled else {
            throw DownstreamError.unavailable(
                server: downstream.name, reason: "it is disabled (junction server enable \(downstream.name))",
                stderr: [])
        }
        let key = InstanceKey(
            downstreamId: downstream.id, authScopeId: authScopeId,
            sessionId: downstream.instanceMode == .perSession ? sessionId : nil)
        if let existing = instances[key] {
            if existing.isRunning && existing.downstream == downstream { return existing }
            instances[key] = nil
            if existing.isRunning {
                existing.stop()  // its definition changed
            } else {
                // It died in service (a stop removes an instance first): a crash, also when this call
                // notices before the exit notification reaches the pool (which then finds it gone).
                recordCrash(downstream, reason: existing.connection.exitReason ?? "it exited")
            }
            reportStatus(of: downstream)
        }
        if let task = starting[key] { return try await task.value }
        try await waitForBackoff(downstream)
        // Another caller may have started it while this one waited out the backoff (actor reentrancy).
        if let task = starting[key] { return try await task.value }
        if let existing = instances[key], existing.isRunning, existing.downstream == downstream { return existing }
        try ensureNotStopping(downstream)
        // Awaited below by this caller and any other asking for the same key meanwhile.
        // Starting persists the catalog (a synchronous write): on the database executor.
        let task = Task(executorPreference: AppDatabase.executor) { try await self.start(downstream, key: key) }
        starting[key] = task
        reportStatus(of: downstream)
        let instance: DownstreamInstance
        do {
            instance = try await task.value
            starting[key] = nil
        } catch {
            starting[key] = nil
            reportStatus(of: downstream)
            throw error
        }
        // Shutdown may have begun while it started: it must not outlive the pool.
        if stopping {
            instance.connection.kill()
            reportStatus(of: downstream)
            try ensureNotStopping(downstream)
        }
        instances[key] = instance
        instanceHealth[key] = InstanceHealth()
        reportStatus(of: downstream)
        return instance
    }

    private func ensureNotStopping(_ downstream: Downstream) throws {
        guard !stopping else {
            throw DownstreamError.unavailable(server: downstream.name, reason: "Junction is shutting down", stderr: [])
        }
    }

    /// The running instance for a key, if any, without waiting for the actor; never starts one.
    public nonisolated func readyInstance(
        for downstream: Downstream, authScopeId: String?, sessionId: String?
    ) -> DownstreamInstance? {
        let key = InstanceKey(
            downstreamId: downstream.id, authScopeId: authScopeId,
            sessionId: downstream.instanceMode == .perSession ? sessionId : nil)
        guard let instance = live.withLock({ $0[key] }), instance.isRunning, instance.downstream == downstream
        else { return nil }
        return instance
    }

    /// Instances currently running, for discovery, status and shutdown.
    public func running() -> [DownstreamInstance] {
        instances.values.filter(\.isRunning)
    }

    public func status(of downstream: Downstream) -> Status {
        var status = processStatus(of: downstream)
        status.health = health(of: downstream)
        return status
    }

    private func processStatus(of downstream: Downstream) -> Status {
        let live = instances.values.filter { $0.key.downstreamId == downstream.id && $0.isRunning }
        let record = crashes[downstream.id] ?? CrashRecord()
        let now = ContinuousClock.now
        var state = live.isEmpty ? "stopped" : "running"
        var restartIn: Double?
        if starting.keys.contains(where: { $0.downstreamId == downstream.id }) { state = "starting" }
        if live.isEmpty, let restartAt = record.restartAt, restartAt > now {
            state = record.count >= 5 ? "crash_loop" : "backoff"
            restartIn = Self.seconds(restartAt - now)
        }
        let era = live.first?.era
        return Status(
            downstreamId: downstream.id, state: state, instances: live.count, crashes: record.count,
            lastError: record.lastError, restartInSeconds: restartIn,
            era: era.map { $0.isModern ? "modern" : "handshake" },
            protocolVersion: era?.version)
    }

    /// Stops instances idle longer than their server's idle timeout (0 = never).
    public func stopIdle() {
        let now = ContinuousClock.now
        for (key, instance) in instances {
            let limit = instance.downstream.idleTimeoutSec
            guard limit > 0, instance.idleFor(now: now) > .seconds(limit) else { continue }
            logger.info("stopping idle server", metadata: ["junction.downstream": "\(instance.downstream.name)"])
            instances[key] = nil
            instance.stop()
            reportStatus(of: instance.downstream)
        }
    }

    /// Stops every instance of one downstream (it was removed, disabled or changed).
    public func stop(downstreamId: String) {
        cancelHealthRestarts { $0.downstreamId == downstreamId }
        for (key, instance) in instances where key.downstreamId == downstreamId {
            instances[key] = nil
            instance.stop()
            reportStatus(of: instance.downstream)
        }
    }

    /// Lists again what every running instance of a server offers, as its `list_changed` would
    /// make the pool do (the engine stores the catalog); returns how many instances were listed.
    @discardableResult
    public func rediscover(downstreamId: String) async -> Int {
        let keys = instances.keys.filter { $0.downstreamId == downstreamId }
        for key in keys { await refresh(key) }
        return keys.count
    }

    /// Stops the per-session instances of a session that ended.
    public func endSession(_ sessionId: String) {
        for (key, instance) in instances where key.sessionId == sessionId {
            instances[key] = nil
            instance.stop()
            reportStatus(of: instance.downstream)
        }
    }

    /// Refuses new requests from now on; a start in progress ends at once (its initialize is
    /// abandoned) and kills its process.
    public func stopStarting() {
        stopping = true
        for task in starting.values { task.cancel() }
    }

    /// Stops everything, servers still starting or being stopped included, and returns once every
    /// process the pool started has exited: stdin closed, SIGTERM to each process group still
    /// running after `inputGrace`, SIGKILL after `grace` more (bounded: about
    /// `inputGrace + grace + 1 s`). New requests are refused.
    public func shutdown(inputGrace: Duration = .milliseconds(500), grace: Duration = .seconds(3)) async {
        retireAll()
        await stopProcesses(inputGrace: inputGrace, grace: grace)
    }

    /// Takes every instance out of service (its subscriptions end, its status becomes `stopped`)
    /// and refuses new requests; the processes are stopped by `stopProcesses`.
    public func retireAll() {
        stopStarting()
        cancelHealthRestarts { _ in true }
        let retired = Array(instances.values)
        for instance in retired { instance.endSubscriptions() }
        instances.removeAll()
        for instance in retired { reportStatus(of: instance.downstream) }
    }

    /// Stops every process the pool started and waits for them (see `shutdown`).
    public func stopProcesses(inputGrace: Duration = .milliseconds(500), grace: Duration = .seconds(3)) async {
        stopStarting()
        await processes.stopAll(inputGrace: inputGrace, grace: grace)
    }

    // MARK: - Starting

    private func start(_ downstream: Downstream, key: InstanceKey) async throws -> DownstreamInstance {
        // What the server is given as secrets is hidden wherever its stderr is quoted.
        let scopeSecrets: AuthScopeRepository.Secrets?
        do {
            scopeSecrets = try key.authScopeId.map(secrets)
        } catch {
            throw DownstreamError.unavailable(
                server: downstream.name, reason: "its auth scope cannot be opened: \(error)", stderr: [])
        }
        let secretValues = scopeSecrets.map { Array($0.env.values) + Array($0.headers.values) } ?? []
        let hooks = hooks
        let sessionId = key.sessionId
        let subscriptions = DownstreamSubscriptions(server: downstream.name)
        let freshness = CatalogFreshness()
        var handlers = DownstreamConnection.Handlers()
        handlers.onNotification = { [weak self] message in
            // A subscription's acknowledgement concerns only the subscription.
            if subscriptions.received(message) { return }
            // At once, on the reader: a list asked for after the response that follows waits for it.
            if Self.listChangedMethods.contains(message.method ?? "") { freshness.markStale() }
            guard let self else { return }
            // Short: hands the notification to the actor; ends by itself.
            Task { await self.downstreamNotified(key, message) }
        }
        if let sessionId {
            handlers.onRequest = { request in await hooks.clientRequest(sessionId, request) }
        }
        handlers.onExit = { [weak self] reason in
            guard let self else { return }
            // Short: records the exit on the actor; ends by itself.
            Task { await self.instanceExited(key, downstream: downstream, reason: reason) }
        }
        let logPath = (home.logsPath as NSString).appendingPathComponent("\(downstream.name).log")
        let transport = try makeTransport(
            downstream, scopeSecrets: scopeSecrets, authorizer: hooks.authorizer(downstream, key.authScopeId))
        let spawn = { [options, processes] in
            let stderr = StderrLog(logPath: logPath, secretValues: secretValues + downstream.headers.values)
            let connection = try DownstreamConnection(
                server: downstream.name, transport: transport(stderr), stderr: stderr,
                maxMessageBytes: options.maxMessageBytes, handlers: handlers)
            // Shutdown began while it started: it must not outlive the pool.
            guard processes.track(connection) else {
                connection.kill()
                throw DownstreamError.unavailable(
                    server: downstream.name, reason: "Junction is shutting down", stderr: [])
            }
            return connection
        }
        var connection: DownstreamConnection
        do {
            connection = try spawn()
        } catch {
            recordCrash(downstream, reason: "\(error)")
            throw DownstreamError.unavailable(server: downstream.name, reason: "\(error)", stderr: [])
        }
        let memoryKey = EraMemoryKey(downstream)
        do {
            var outcome = ProbeOutcome.handshake
            // Never seen, or modern last time (its discover answers the probe anyway): probe. A
            // per-session instance exists so the server can ask its one client for input; servers
            // of both eras do that over the handshake era's back-channel (FastMCP's `ctx.elicit`
            // and sampling refuse modern requests), so it opens with `initialize`, and a
            // modern-only server, refusing that, is probed then (see `initialize`).
            if sessionId == nil, eras[memoryKey]?.isModern != false {
                outcome = try await probe(connection, downstream: downstream)
            }
            if case .exited = outcome {
                logger.debug(
                    "server exited on server/discover; starting it again for initialize",
                    metadata: ["junction.downstream": "\(downstream.name)"])
                connection = try spawn()
            }
            let era: ProtocolEra
            let result: RawJSON
            if case .modern(let version, let discovered) = outcome {
                era = .modern(version)
                result = Self.initializeResult(discovered: discovered, version: version)
            } else {
                (era, result) = try await initialize(connection, downstream: downstream, perSession: sessionId != nil)
            }
            let instance = DownstreamInstance(
                key: key, downstream: downstream, connection: connection, initializeResult: result, era: era,
                subscriptions: subscriptions, freshness: freshness)
            // Before discovery, so a change during it is not missed.
            instance.listenForListChanges()
            let catalog = try await discover(instance)
            instance.setCatalog(catalog)
            hooks.discovered(downstream, catalog)
            eras[memoryKey] = era
            logger.info(
                "started server",
                metadata: [
                    "junction.downstream": "\(downstream.name)", "pid": "\(connection.pid ?? 0)",
                    "tools": "\(catalog.tools.count)", "instance": "\(key)", "era": "\(era)",
                ])
            return instance
        } catch DownstreamError.authorizationRequired(let server, let detail) {
            // Waiting for the user to sign in is no crash: no backoff, no crash loop.
            connection.kill()
            try ensureNotStopping(downstream)
            logger.info("server needs a sign-in", metadata: ["junction.downstream": "\(downstream.name)"])
            throw DownstreamError.authorizationRequired(server: server, detail: detail)
        } catch {
            connection.kill()
            // A start cut short by shutdown is no crash.
            try ensureNotStopping(downstream)
            logger.warning(
                "server failed to start", metadata: ["junction.downstream": "\(downstream.name)", "error": "\(error)"])
            let reason = (error as? DownstreamError)?.description ?? "\(error)"
            recordCrash(downstream, reason: reason)
            if let error = error as? DownstreamError, case .unavailable = error { throw error }
            throw DownstreamError.unavailable(
                server: downstream.name, reason: "it did not start: \(reason)", stderr: connection.stderr.tail())
        }
    }

    /// How to reach a server, given the stderr log its connection keeps: its command over stdio,
    /// or its URL over HTTP with the headers of its definition and auth scope (an auth scope's
    /// environment entries and headers alike become request headers of a remote server).
    private func makeTransport(
        _ downstream: Downstream, scopeSecrets: AuthScopeRepository.Secrets?, authorizer: (any HTTPAuthorizer)?
    ) throws -> @Sendable (StderrLog) -> any DownstreamTransport {
        let options = options
        switch downstream.transport {
        case .stdio:
            guard let command = downstream.command else {
                throw DownstreamError.unavailable(server: downstream.name, reason: "it has no command", stderr: [])
            }
            var environment = Self.baseEnvironment()
            environment.merge(downstream.env) { _, new in new }
            environment.merge(scopeSecrets?.env ?? [:]) { _, new in new }
            let childEnvironment = environment
            return { stderr in
                StdioTransport(
                    server: downstream.name, command: command, arguments: downstream.args,
                    environment: childEnvironment, cwd: downstream.cwd, stderr: stderr,
                    maxMessageBytes: options.maxMessageBytes,
                    oversizedContextBytes: DownstreamConnection.oversizedContextBytes)
            }
        case .http:
            guard let text = downstream.url, let url = URL(string: text), RemoteOrigin(url) != nil else {
                throw DownstreamError.unavailable(
                    server: downstream.name,
                    reason: "its URL \(HTTPTransport.display(downstream.url.flatMap(URL.init(string:)))) is not an "
                        + "http or https URL", stderr: [])
            }
            var headers = downstream.headers
            headers.merge(scopeSecrets?.env ?? [:]) { _, new in new }
            headers.merge(scopeSecrets?.headers ?? [:]) { _, new in new }
            let configuration = HTTPTransport.Configuration(
                server: downstream.name, url: url, headers: headers, flavour: downstream.httpTransport,
                authorizer: authorizer, maxMessageBytes: options.maxMessageBytes)
            return { stderr in HTTPTransport(configuration: configuration, stderr: stderr) }
        }
    }

    /// The handshake: `initialize`, then `notifications/initialized`; returns the era and result.
    ///
    /// A server that refuses it naming a modern version Junction speaks (-32022) is modern after
    /// all, just slow to answer the probe: it is probed again at that version.
    private func initialize(
        _ connection: DownstreamConnection, downstream: Downstream, perSession: Bool
    ) async throws -> (ProtocolEra, RawJSON) {
        let initialize = try await connection.request(
            "initialize", params: initializeParams(perSession: perSession), timeout: options.startupTimeout)
        if let version = Self.modernVersion(offeredBy: initialize),
            case .modern(let version, let discovered) = try await probe(
                connection, downstream: downstream, version: version)
        {
            return (.modern(version), Self.initializeResult(discovered: discovered, version: version))
        }
        guard initialize.kind == .response, let result = initialize.result, result.isObject else {
            // A server that refuses the handshake may speak only the modern era.
            if initialize.kind == .errorResponse,
                case .modern(let version, let discovered) = try await probe(connection, downstream: downstream)
            {
                return (.modern(version), Self.initializeResult(discovered: discovered, version: version))
            }
            throw DownstreamError.protocolError(
                server: downstream.name, reason: "initialize failed: \(initialize.errorMessage ?? "no result")")
        }
        connection.notify("notifications/initialized", params: nil)
        return (.handshake(result["protocolVersion"]?.stringValue ?? options.protocolVersion), result)
    }

    private func initializeParams(perSession: Bool) -> RawJSON {
        // Capabilities Junction can relay: only a per-session instance has one client to ask.
        var capabilities: [(key: String, value: RawJSON)] = []
        if perSession {
            capabilities = [
                ("roots", RawJSON(object: [("listChanged", .true)])), ("sampling", .emptyObject),
                ("elicitation", .emptyObject),
            ]
        }
        return RawJSON(object: [
            ("protocolVersion", RawJSON(string: options.protocolVersion)),
            ("capabilities", RawJSON(object: capabilities)), ("clientInfo", DownstreamInstance.clientInfo),
        ])
    }

    private func discover(_ instance: DownstreamInstance) async throws -> Catalog {
        let capabilities = instance.capabilities
        let timeout = options.startupTimeout
        var catalog = Catalog()
        if capabilities["tools"] != nil {
            catalog.tools = try await instance.listAll("tools/list", key: "tools", timeout: timeout)
        }
        if capabilities["resources"] != nil {
            catalog.resources =
                (try? await instance.listAll("resources/list", key: "resources", timeout: timeout)) ?? []
            catalog.resourceTemplates =
                (try? await instance.listAll(
                    "resources/templates/list", key: "resourceTemplates", timeout: timeout)) ?? []
        }
        if capabilities["prompts"] != nil {
            catalog.prompts = (try? await instance.listAll("prompts/list", key: "prompts", timeout: timeout)) ?? []
        }
        return catalog
    }

    // MARK: - Events

    private func downstreamNotified(_ key: InstanceKey, _ message: JSONRPCMessage) {
        switch message.method {
        case "notifications/tools/list_changed", "notifications/resources/list_changed",
            "notifications/prompts/list_changed":
            scheduleRefresh(key)
        default:
            // The tag names Junction's stream on this server, meaningless to whoever gets it next.
            hooks.notification(key, Self.untagged(message))
        }
    }

    /// Re-discovers after a short pause, so a burst of list_changed costs one refresh.
    private func scheduleRefresh(_ key: InstanceKey) {
        refreshes[key]?.cancel()
        // Cancelled by the next list_changed of the same instance (debounce); ends by itself.
        refreshes[key] = Task(executorPreference: AppDatabase.executor) {
            try? await Task.sleep(for: .milliseconds(100))
            guard !Task.isCancelled else { return }
            await self.refresh(key)
        }
    }

    /// Lists a running server's catalog again when it is older than `maxAge` (setting
    /// `tools_cache_ttl_sec`), in the background: a change reaches clients as `list_changed`.
    func refreshCatalog(of instance: DownstreamInstance, olderThan maxAge: Duration) {
        guard instance.catalogAge > maxAge, refreshes[instance.key] == nil, instances[instance.key] === instance
        else { return }
        scheduleRefresh(instance.key)
    }

    private func refresh(_ key: InstanceKey) async {
        refreshes[key] = nil
        guard let instance = instances[key] else { return }
        defer { instance.freshness.markFresh() }
        guard instance.isRunning, let catalog = try? await discover(instance) else { return }
        instance.setCatalog(catalog)
        hooks.discovered(instance.downstream, catalog)
    }

    static let listChangedMethods: Set<String> = [
        "notifications/tools/list_changed", "notifications/resources/list_changed",
        "notifications/prompts/list_changed",
    ]

    func instanceExited(_ key: InstanceKey, downstream: Downstream, reason: String) {
        guard let instance = instances[key], !instance.isRunning else { return }
        instances[key] = nil
        defer { reportStatus(of: downstream) }
        guard !stopping else { return }
        // An exit we asked for (idle stop, shutdown) removed the instance before it ended.
        recordCrash(downstream, reason: reason)
        logger.warning(
            "server exited",
            metadata: [
                "junction.downstream": "\(downstream.name)", "reason": "\(reason)",
                "crashes": "\(crashes[downstream.id]?.count ?? 0)",
            ])
    }

    /// Tells the engine the server's status when it differs from the one last told.
    func reportStatus(of downstream: Downstream) {
        let status = status(of: downstream)
        if let last = reported[downstream.id], last.isSameState(as: status) { return }
        reported[downstream.id] = status
        hooks.statusChanged(downstream, status)
    }

    func recordCrash(_ downstream: Downstream, reason: String) {
        var record = crashes[downstream.id] ?? CrashRecord()
        let now = ContinuousClock.now
        // A server that ran a minute without trouble starts its count again.
        if let last = record.lastCrash, now - last > .seconds(60) { record.count = 0 }
        record.count += 1
        record.lastCrash = now
        record.lastError = reason
        let delay = min(60.0, pow(2.0, Double(record.count - 1)))
        record.restartAt = now + .milliseconds(Int(delay * 1000))
        crashes[downstream.id] = record
    }

    private func waitForBackoff(_ downstream: Downstream) async throws {
        guard let record = crashes[downstream.id], let restartAt = record.restartAt else { return }
        let remaining = restartAt - .now
        guard remaining > .zero else { return }
        guard remaining <= options.maxBackoffWait else {
            throw DownstreamError.unavailable(
                server: downstream.name,
                reason: "it crashed \(record.count) times (last: \(record.lastError ?? "unknown")); "
                    + "next restart in \(Int(Self.seconds(remaining).rounded(.up))) s",
                stderr: [])
        }
        try await Task.sleep(for: remaining)
    }

    /// The variables of Junction's environment its children inherit; no others.
    static let inheritedVariables = [
        "PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "USER", "LOGNAME", "SHELL", "TZ",
    ]

    /// The minimal environment children get before their own: no secrets of Junction's leak.
    static func baseEnvironment() -> [String: String] {
        let inherited = ProcessInfo.processInfo.environment
        var environment: [String: String] = [:]
        for key in inheritedVariables {
            if let value = inherited[key] { environment[key] = value }
        }
        if environment["PATH"] == nil { environment["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        return environment
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
