import Foundation
import JunctionCore
import JunctionStore
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The engine behind every client session: routing that follows the database, one pool of
/// downstream servers, approvals and the audit trail. `junction stdio --embedded` runs it
/// in-process; the daemon runs one for all clients.
public final class GatewayEngine: Sendable {
    public let home: JunctionHome
    public let database: AppDatabase
    public let routing: LiveRouting
    public let pool: DownstreamPool
    public let approvals: any ApprovalGate
    let scopes: AuthScopeRepository
    /// OAuth sign-ins, the tokens of URL servers and their background refresh.
    public let oauth: OAuthService
    private let sessions = Mutex<[String: GatewaySession]>([:])
    /// Batched audit trail: `audit(_:)` never waits for the database.
    public let auditWriter: AuditWriter
    let auditObserver: @Sendable (AuditRecord) -> Void
    let sessionRecords: SessionRepository
    let catalogRecords: CatalogRepository
    let redactors = Mutex<[String: Redactor]>([:])
    let storedCatalogs = Mutex<[String: Catalog]>([:])
    /// Serial: redaction, audit queuing and call events, off the calls' path and in order.
    let redactionQueue = BatchingQueue(label: "junction.audit.redaction")
    /// Each downstream's tools as clients see them, prepared once per catalog for `tools/list`.
    let visibleTools = VisibleToolCache()
    /// Each target's routed `tools/list`, while its configuration and catalogs stay the same.
    let routedTools = RoutedToolListCache()
    /// Tier 2: results of read-only calls.
    public let resultCache = ToolResultCache()
    /// Caps on tool calls running at once, per server and per client key (settings
    /// `max_concurrent_calls`, `max_concurrent_calls_per_key`, `max_queued_calls`).
    public let callLimiter = CallLimiter()
    /// Seals the `requestState` of multi round-trip requests relayed to modern clients.
    let requestStates = RequestStateSeal()
    /// What happens in the engine, for the daemon's event streams: calls as they are decided,
    /// started and completed (audited), catalogs indexed, servers changing state, reloads.
    /// ``shutdown(reason:)`` closes it.
    public let events: EventBus
    private let readOnlyTTL = Mutex(5)
    private let toolPresentation = Mutex(ToolPresentation())
    /// BM25 indexes of the tool catalog (`junction__search_tools`, `GET /api/v1/tools?q=`).
    public let toolSearch = ToolSearchCache()

    /// How tools are shown to clients (slim mode, description overrides, Codex compatibility).
    public var presentation: ToolPresentation { toolPresentation.withLock { $0 } }
    /// Which servers were quarantined at the last configuration read, by id: a reload that changes
    /// one publishes `servers.quarantine_changed`, whichever process made the change.
    let quarantineSeen = Mutex<[String: Bool]>([:])

    /// Seconds results of `readOnlyHint` tools are reused (setting `read_only_cache_ttl_sec`).
    var readOnlyCacheTTLSec: Int { readOnlyTTL.withLock { $0 } }

    public init(
        home: JunctionHome,
        database: AppDatabase,
        approvals: any ApprovalGate = RefusingApprovalGate(),
        events: EventBus = EventBus(),
        audit: @escaping @Sendable (AuditRecord) -> Void = { _ in }
    ) throws {
        // Writing to a child that died must be an error to handle, not a signal that kills us.
        signal(SIGPIPE, SIG_IGN)
        self.home = home
        self.database = database
        self.approvals = approvals
        self.events = events
        self.auditObserver = audit
        // Records queued but not committed survive a kill -9 in a journal of this process's.
        let auditLogger = Logger(label: "junction.audit")
        let journal: AuditJournal?
        do {
            journal = try AuditJournal(directory: home.file("audit-journal"))
        } catch {
            auditLogger.error("audit: no journal, a crash may lose the last records: \(error)")
            journal = nil
        }
        let auditWriter = AuditWriter(
            repository: AuditRepository(database),
            onError: { error in auditLogger.error("audit: writing records failed (kept, retried): \(error)") },
            journal: journal)
        // The completed event follows the row's commit: a client re-reading /audit on it finds it.
        auditWriter.observe { records in
            for record in records { events.publish(EventType.toolCallCompleted, record) }
        }
        self.auditWriter = auditWriter
        self.sessionRecords = SessionRepository(database)
        self.catalogRecords = CatalogRepository(database)
        self.routing = try LiveRouting(database)
        let box = try SecretBox.load(home: home)
        let scopes = AuthScopeRepository(database, box: box)
        self.scopes = scopes
        self.oauth = OAuthService(database: database, box: box, events: events)
        var options = DownstreamPool.Options()
        // Unreadable settings (a damaged database) leave the pool's defaults.
        if let settings = try? SettingsRepository(database).snapshot() {
            options.maxMessageBytes = settings[.maxMessageBytes]
            options.startupTimeout = Self.startupTimeout(settings)
            let health = Self.healthChecks(settings)
            options.healthCheckInterval = health.interval
            options.healthCheckTimeout = health.timeout
            options.healthCheckFailures = health.failures
        }
        self.pool = DownstreamPool(home: home, options: options, secrets: { try scopes.secrets(of: $0) })
        reloadSettings()
        _ = quarantineChanges()
    }

    /// Applies the settings the engine follows live; returns them for the pool's (nil, and
    /// nothing changed, when they cannot be read).
    @discardableResult
    private func reloadSettings() -> SettingsSnapshot? {
        guard let settings = try? SettingsRepository(database).snapshot() else { return nil }
        readOnlyTTL.withLock { $0 = settings[.readOnlyCacheTTLSec] }
        auditWriter.setMaxPayloadBytes(settings[.auditMaxPayloadBytes])
        toolPresentation.withLock { $0 = ToolPresentation(settings: settings) }
        let limits = CallLimiter.Limits(
            perServer: settings[.maxConcurrentCalls], perKey: settings[.maxConcurrentCallsPerKey],
            maxQueued: settings[.maxQueuedCalls])
        if callLimiter.limits != limits { callLimiter.limits = limits }
        return settings
    }

    /// The health check settings (`health_check_interval_sec`, `health_check_timeout_sec`,
    /// `health_check_failures`), clamped to what the pool accepts.
    static func healthChecks(_ settings: SettingsSnapshot) -> (interval: Duration, timeout: Duration, failures: Int) {
        (
            .seconds(max(0, settings[.healthCheckIntervalSec])), .seconds(max(1, settings[.healthCheckTimeoutSec])),
            max(1, settings[.healthCheckFailures])
        )
    }

    /// The `startup_timeout_sec` setting.
    private static func startupTimeout(_ settings: SettingsSnapshot) -> Duration {
        .seconds(max(1, Limits.clampedSeconds(settings[.startupTimeoutSec])))
    }

    /// How long a `tools/list` waits for a server that was never discovered (no catalog stored)
    /// and is starting for the first time: long enough for an ordinary cold start, short of a
    /// server hanging in `initialize` holding every session's listing for its whole startup
    /// timeout. It is listed once up (its discovery brings `list_changed`).
    var uncataloguedListingPatience: Duration {
        get { listingPatience.withLock { $0 } }
        set { listingPatience.withLock { $0 = newValue } }
    }
    private let listingPatience = Mutex<Duration>(.seconds(10))

    /// Runs the engine's background work until cancelled: following configuration changes (and
    /// telling sessions when their tools changed) and stopping idle servers.
    public func run() async {
        await prepare()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [self] in await auditWriter.run() }
            group.addTask { [self] in await oauth.run() }
            group.addTask { [self] in
                await routing.run { [self] generation in
                    redactors.withLock { $0.removeAll() }
                    visibleTools.removeAll()
                    routedTools.removeAll()
                    let settings = reloadSettings()
                    // Short: one read of the auth scopes; ends by itself.
                    Task { [oauth] in await oauth.reloadScopes() }
                    if let settings {
                        let startup = Self.startupTimeout(settings)
                        let health = Self.healthChecks(settings)
                        // Short: actor hops; ends by itself.
                        Task { [pool] in
                            await pool.setStartupTimeout(startup)
                            await pool.setHealthChecks(
                                interval: health.interval, timeout: health.timeout, failures: health.failures)
                        }
                    }
                    publishReload(generation: generation)
                    publishQuarantineChanges()
                    for session in sessions.withLock({ Array($0.values) }) {
                        // Short: one re-list per session; ends by itself.
                        Task { await session.notifyIfVisibleSetChanged() }
                    }
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(5))
                    await pool.stopIdle()
                }
            }
            group.addTask { [pool] in await pool.runHealthChecks() }
        }
    }

    /// Connects the pool to the engine (relaying requests, persisting catalogs). Call before the
    /// first session starts; `run()` calls it too.
    public func prepare() async {
        await pool.setHooks(makeHooks())
        // After the hooks: a session may start meanwhile, and must find them set.
        await oauth.reloadScopes()
    }

    private func makeHooks() -> DownstreamPool.Hooks {
        var hooks = DownstreamPool.Hooks()
        hooks.discovered = { [weak self] downstream, catalog in
            guard let self else { return }
            let changed = persist(catalog, of: downstream)
            guard !changed.isEmpty else { return }
            publishIndexed(downstream, catalog: catalog, kinds: changed)
            for session in sessions.withLock({ Array($0.values) }) {
                // Short: one notification per session; ends by itself.
                Task { await session.catalogChanged(kinds: changed) }
            }
        }
        hooks.clientRequest = { [weak self] sessionId, request in
            guard let session = self?.sessions.withLock({ $0[sessionId] }) else {
                return .errorResponse(
                    id: request.id, code: JSONRPCErrorCode.internalError, message: "the client session has ended")
            }
            return await session.relayFromDownstream(request)
        }
        hooks.notification = { [weak self] key, message in
            guard let self else { return }
            // Log messages and resource updates go to the session owning a per-session instance,
            // or to every session for a shared one.
            let targets = sessions.withLock { sessions in
                key.sessionId.flatMap { sessions[$0] }.map { [$0] } ?? Array(sessions.values)
            }
            switch message.method {
            case "notifications/message":
                for session in targets { session.relayLog(message.params, from: key) }
            case "notifications/resources/updated":
                for session in targets { session.resourceUpdated(message.params) }
            default:
                break
            }
        }
        hooks.statusChanged = { [weak self] downstream, status in
            self?.publishStatus(downstream, status)
        }
        hooks.authorizer = { [oauth] downstream, scopeId in oauth.authorizer(for: downstream, scopeId: scopeId) }
        hooks.current = { [weak self] downstream in
            self?.downstream(id: downstream.id).flatMap { $0.enabled ? $0 : nil }
        }
        return hooks
    }

    static let logger = Logger(label: "junction.engine")

    /// A new client session; `output` receives each outgoing line (newline included), in order.
    /// `principal` names the client key that let it in; `onlyDownstream` (a downstream's id)
    /// limits it to that one server, under its tools' own names.
    public func makeSession(
        target: ClientTarget, pinned: Bool, transport: SessionInfo.Transport = .stdio, principal: String? = nil,
        onlyDownstream: String? = nil, output: @escaping @Sendable ([UInt8]) -> Void
    ) -> GatewaySession {
        let session = GatewaySession(
            id: ULID.make(), engine: self, target: target, pinned: pinned, transport: transport,
            principal: principal, onlyDownstream: onlyDownstream, output: output)
        sessions.withLock { $0[session.id] = session }
        return session
    }

    /// Client sessions open now (for `/metrics`).
    public var activeSessionCount: Int { sessions.withLock { $0.count } }

    func sessionStarted(_ session: GatewaySession, info: SessionInfo) {
        do {
            _ = try sessionRecords.open(info)
        } catch {
            Self.logger.error("session \(session.id) not recorded as open: \(error)")
        }
    }

    func sessionClosed(_ session: GatewaySession) {
        sessions.withLock { $0[session.id] = nil }
        // Whoever closes the session (a reader thread, a task on the pool) does not wait for the
        // write; it runs on the database executor and ends by itself.
        Task(executorPreference: database.executor) { [sessionRecords, id = session.id] in
            do {
                _ = try sessionRecords.close(id)
            } catch {
                Self.logger.error("session \(id) not recorded as closed: \(error)")
            }
        }
        approvals.sessionEnded(session.id)
        // Short: stops the session's own servers; ends by itself.
        Task { await pool.endSession(session.id) }
    }

    /// Shuts the engine down, in this order:
    /// 1. no downstream starts any more (a start in progress is abandoned and its process killed);
    /// 2. every request still in flight is answered with a JSON-RPC error saying why (its call
    ///    audited as cancelled), parked approvals end, sessions end;
    /// 3. the cancelled calls are given up to 2 s to finish (an approval gate might not honour
    ///    cancellation), and their audit records are written (each completed event follows its row);
    /// 4. every downstream instance is taken out of service (its status `stopped` published);
    /// 5. the event feed closes: every event stream ends with `stream.closed`;
    /// 6. every downstream process is stopped and waited for: stdin closed, SIGTERM to its process
    ///    group after `inputGrace`, SIGKILL after `childGrace` more;
    /// 7. the audit records still queued are written.
    /// The transports then drain what the sessions wrote and end their output. Calling it again
    /// does nothing new.
    public func shutdown(
        reason: String = "Junction is shutting down", inputGrace: Duration = .milliseconds(500),
        childGrace: Duration = .seconds(3)
    ) async {
        await pool.stopStarting()
        let calls = sessions.withLock { Array($0.values) }.flatMap { $0.shutDown(reason: reason) }
        // Cancelled calls end promptly (their downstream requests were abandoned).
        await Self.waitForAll(calls, upTo: .seconds(2))
        redactionQueue.sync()
        // Their records committed now: each call's completed event follows its commit, and the
        // feed closes below.
        await auditWriter.flush()
        await pool.retireAll()
        events.close(reason: reason)
        await pool.stopProcesses(inputGrace: inputGrace, grace: childGrace)
        redactionQueue.sync()
        await auditWriter.flush()
    }

    /// Writes the audit records still queued (for a daemon that must exit before its shutdown
    /// finished).
    public func flushAudit() async {
        redactionQueue.sync()
        _ = await auditWriter.flush()
    }

    /// Waits until every task has ended, or `limit` has passed.
    private static func waitForAll(_ tasks: [Task<Void, Never>], upTo limit: Duration) async {
        guard !tasks.isEmpty else { return }
        let (ended, end) = AsyncStream<Void>.makeStream()
        // Ends when the tasks have; nobody waits for it past the limit.
        Task {
            for task in tasks { await task.value }
            end.finish()
        }
        // Ends the wait at the limit; cancelled below when the tasks end first.
        let timer = Task {
            try? await Task.sleep(for: limit)
            end.finish()
        }
        for await _ in ended {}
        timer.cancel()
    }
}
