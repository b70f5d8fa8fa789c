import Foundation
import JunctionCore
import JunctionStore
import Synchronization

/// One client connection: speaks MCP to the client, routes each request through the engine, and
/// answers concurrently (a slow or parked call never delays another).
public final class GatewaySession: Sendable {
    /// Versions of the `initialize` handshake; modern requests are served statelessly besides.
    public static let supportedProtocolVersions = MCPProtocol.handshakeVersions

    public let id: String
    let engine: GatewayEngine
    /// How the client reached Junction (recorded with the session).
    let transport: SessionInfo.Transport
    /// Who the client is when a named key let it in (`junction key add`): audited as the client.
    let principal: String?
    /// The one downstream (its id) this session serves, under the tools' own names
    /// (`POST /mcp?server_id=`, `/rpc`); nil serves every downstream, namespaced.
    let onlyDownstream: String?
    private let output: @Sendable ([UInt8]) -> Void
    let state: Mutex<State>

    /// A tool as this session's client sees it.
    struct VisibleTool: Sendable {
        var downstreamId: String
        var originalName: String
        /// The tool's annotations say it changes nothing (`readOnlyHint`): its results may be cached.
        var readOnly = false
    }

    struct State {
        var initialized = false
        /// The client spoke the modern era (a request carrying a protocol version in `_meta`)
        /// and never sent `initialize`: nothing reaches it unasked, only what its
        /// subscriptions opted into.
        var modern = false
        /// The engine knows the session (from `initialize` or the first modern request).
        var registered = false
        /// Open `subscriptions/listen` requests, by request id.
        var subscriptions: [RawJSON: SubscriptionFilter] = [:]
        /// Modern requests in flight that asked for log messages: the server serving each, the level.
        var logListeners: [RawJSON: (downstreamId: String, rank: Int)] = [:]
        /// Modern requests to handshake-era servers that may ask for input, by exchange id.
        var exchanges: [String: InputExchange] = [:]
        var clientName: String?
        var clientVersion: String?
        var clientCapabilities: RawJSON = .emptyObject
        var protocolVersion: String?
        var target: ClientTarget
        var pinned: Bool
        /// Requests being answered; an id leaves when answered or cancelled (then no response).
        var pendingIds: Set<RawJSON> = []
        var inFlight: [RawJSON: Task<Void, Never>] = [:]
        var clientRequests: [Int: CheckedContinuation<JSONRPCMessage, Never>] = [:]
        var nextClientRequestId = 1
        var tools: [String: VisibleTool] = [:]
        var prompts: [String: VisibleTool] = [:]
        var resourceOwners: [String: String] = [:]
        var lastToolNames: [String]?
        /// The tools of the latest `tools/list` without a cursor, which later pages continue.
        var listedTools: [RawJSON]?
        /// What the latest `tools/list` showed: every tool, or the built-in tools (slim mode).
        var listing: ToolListing?
        var closed = false
        /// Set when the engine shuts down: requests are answered with an error saying so.
        var shutdownReason: String?
        var rootsTask: Task<Void, Never>?
        /// Lowest severity of downstream log messages relayed to this client (nil: all).
        var logLevel: Int?
    }

    init(
        id: String, engine: GatewayEngine, target: ClientTarget, pinned: Bool,
        transport: SessionInfo.Transport = .stdio, principal: String? = nil, onlyDownstream: String? = nil,
        output: @escaping @Sendable ([UInt8]) -> Void
    ) {
        self.id = id
        self.engine = engine
        self.transport = transport
        self.principal = principal
        self.onlyDownstream = onlyDownstream
        self.output = output
        self.state = Mutex(State(target: target, pinned: pinned))
    }

    /// The client as the audit and approvals name it: the key's name, else what it calls itself.
    var clientName: String? { principal ?? state.withLock { $0.clientName } }
    /// What `max_concurrent_calls_per_key` counts this session's calls against: its client key,
    /// or `admin` for sessions without a named one.
    var callLimitKey: String { principal ?? "admin" }

    var target: ClientTarget { state.withLock { $0.target } }

    // MARK: - Input

    /// Handles one framed line from the client.
    public func receive(_ frame: LineFramer.Frame) {
        switch frame {
        case .oversized(let size, _, _):
            send(
                .errorResponse(
                    id: nil, code: JSONRPCErrorCode.messageTooLarge,
                    message: "message of \(size) bytes exceeds the limit (setting max_message_bytes)"))
        case .line(let line):
            switch JSONRPCMessage.parse(line) {
            case .failure(let failure):
                send(failure.response)
            case .success(let message):
                dispatch(message)
            }
        }
    }

    /// The client went away: cancel everything in flight.
    public func close() {
        _ = end(shutdownReason: nil)
    }

    /// The engine is shutting down: every request still being answered gets an error saying why
    /// (a client should not wait for answers that will never come), later ones too, and the
    /// session ends as in `close()`. Returns the cancelled requests' tasks, which end promptly.
    func shutDown(reason: String) -> [Task<Void, Never>] {
        end(shutdownReason: reason)
    }

    private func end(shutdownReason: String?) -> [Task<Void, Never>] {
        var exchanges: [InputExchange] = []
        var ended: [RawJSON] = []
        var waiting: [CheckedContinuation<JSONRPCMessage, Never>] = []
        let (unanswered, tasks, wasClosed) = state.withLock { state in
            let wasClosed = state.closed
            state.closed = true
            if state.shutdownReason == nil { state.shutdownReason = shutdownReason }
            // Subscriptions end gracefully (a completion result), other requests with the reason.
            let listens = shutdownReason == nil ? [] : Array(state.subscriptions.keys)
            let unanswered = shutdownReason == nil ? [] : Array(state.pendingIds.subtracting(listens))
            let tasks = Array(state.inFlight.values) + [state.rootsTask].compactMap { $0 }
            exchanges = Array(state.exchanges.values)
            state.exchanges.removeAll()
            state.subscriptions.removeAll()
            ended = listens
            state.inFlight.removeAll()
            state.pendingIds.removeAll()
            waiting = Array(state.clientRequests.values)
            state.clientRequests.removeAll()
            return (unanswered, tasks, wasClosed)
        }
        // Resumed outside the lock: a resumed task may run at once, on this thread.
        for continuation in waiting {
            continuation.resume(
                returning: .errorResponse(
                    id: nil, code: JSONRPCErrorCode.internalError, message: shutdownReason ?? "the client disconnected")
            )
        }
        if let shutdownReason {
            for id in unanswered { send(Self.shuttingDown(id: id, reason: shutdownReason)) }
        }
        for id in ended { send(.response(id: id, result: Self.subscriptionEnded(id))) }
        for exchange in exchanges { exchange.cancel() }
        for task in tasks { task.cancel() }
        if !wasClosed { engine.sessionClosed(self) }
        return tasks
    }

    static func shuttingDown(id: RawJSON, reason: String) -> JSONRPCMessage {
        .errorResponse(
            id: id, code: JSONRPCErrorCode.internalError,
            message: "\(reason): the request was not completed. Retry once Junction is running again.")
    }

    private func dispatch(_ message: JSONRPCMessage) {
        switch message.kind {
        case .response, .errorResponse:
            guard let id = message.id?.intValue else { return }
            let continuation = state.withLock { $0.clientRequests.removeValue(forKey: id) }
            continuation?.resume(returning: message)
        case .notification:
            handleNotification(message)
        case .request:
            guard let id = message.id else { return }
            enum Admission { case accepted, duplicate, closed(String?) }
            let admission = state.withLock { state -> Admission in
                guard !state.closed else { return .closed(state.shutdownReason) }
                // A second request under an id still being answered would share its answer (and
                // its cancellation): refused at once, the first one carries on.
                guard state.pendingIds.insert(id).inserted else { return .duplicate }
                return .accepted
            }
            switch admission {
            case .accepted:
                break
            case .duplicate:
                send(
                    .errorResponse(
                        id: id, code: JSONRPCErrorCode.invalidRequest,
                        message: "Invalid Request: duplicate request id \(id) in flight"))
                return
            case .closed(let shutdownReason):
                if let shutdownReason { send(Self.shuttingDown(id: id, reason: shutdownReason)) }
                return
            }
            // Kept in inFlight: cancelled by notifications/cancelled, close() or shutDown(reason:).
            // A tools/call runs on the threads that make it runnable, not handed to the pool.
            let task = Task(executorPreference: Self.executor(for: message)) { [self] in
                let response = await handleRequest(message)
                let stillWanted = state.withLock { state -> Bool in
                    state.inFlight[id] = nil
                    return state.pendingIds.remove(id) != nil
                }
                // A cancelled request gets no response (MCP cancellation).
                if let response, stillWanted { send(response) }
            }
            let registered = state.withLock { state -> Bool in
                guard state.pendingIds.contains(id) else { return false }
                state.inFlight[id] = task
                return true
            }
            // No longer pending: it finished already (cancelling is harmless), or it was cancelled
            // or the session ended before it was registered, and it must stop.
            if !registered { task.cancel() }
        }
    }

    /// The inline executor for `tools/call` (see ``InlineTaskExecutor``); other requests run on
    /// the database executor: they read and write the database synchronously (the session's
    /// record, catalogs, routing), which must never block Swift's cooperative pool.
    private static func executor(for request: JSONRPCMessage) -> any TaskExecutor {
        request.method == "tools/call" ? InlineTaskExecutor.shared : AppDatabase.executor
    }

    private func handleNotification(_ message: JSONRPCMessage) {
        switch message.method {
        case "notifications/initialized":
            startRootsDiscovery()
        case "notifications/cancelled":
            guard let requestId = message.params?["requestId"] else { return }
            let task = state.withLock { state in
                state.pendingIds.remove(requestId)
                // A cancelled subscription delivers nothing more, from now on.
                state.subscriptions[requestId] = nil
                return state.inFlight.removeValue(forKey: requestId)
            }
            task?.cancel()
        case "notifications/roots/list_changed":
            startRootsDiscovery()
        default:
            break  // progress for our own requests, unknown notifications: nothing to do
        }
    }

    /// Answers one request: in the handshake era as the connection's `initialize` settled, or,
    /// when it carries a modern protocol version in `_meta`, statelessly from that `_meta`.
    private func handleRequest(_ request: JSONRPCMessage) async -> JSONRPCMessage? {
        let modern: ModernRequest?
        do {
            modern = try ModernRequest.parse(request)
        } catch {
            return .errorResponse(id: request.id, code: error.code, message: error.message, data: error.data)
        }
        guard let modern else { return await serve(request) }
        beginModern(modern)
        let response = await Self.$modernRequest.withValue(modern) { await serve(request) }
        guard var response, let result = response.result else { return response }
        response.result = Self.modernResult(result, method: request.method ?? "")
        return response
    }

    private func serve(_ request: JSONRPCMessage) async -> JSONRPCMessage? {
        let id = request.id ?? .null
        let method = request.method ?? ""
        do {
            // Nothing malformed reaches a server: one bad call could crash a server others share.
            try RequestShape.check(method: method, params: request.params)
            switch method {
            case "initialize":
                return initialize(request)
            case "server/discover":
                return .response(id: id, result: await discover())
            case "subscriptions/listen":
                return try await listen(request)
            case "ping":
                return .response(id: id, result: .emptyObject)
            case "tools/list":
                return .response(id: id, result: try await listTools(cursor: request.params?["cursor"]))
            case "tools/call":
                return try await callTool(request)
            case "prompts/list":
                return .response(id: id, result: await listPrompts())
            case "prompts/get":
                return try await getPrompt(request)
            case "resources/list":
                return .response(id: id, result: await listResources())
            case "resources/templates/list":
                return .response(id: id, result: await listResourceTemplates())
            case "resources/read":
                return try await forwardResource(request)
            case "resources/subscribe", "resources/unsubscribe":
                if Self.modernRequest != nil { throw SessionError.removedInModernEra(method) }
                return try await forwardResource(request)
            case "completion/complete":
                return try await complete(request)
            case "logging/setLevel":
                if Self.modernRequest != nil { throw SessionError.removedInModernEra(method) }
                return try await setLogLevel(request)
            default:
                return .errorResponse(
                    id: id, code: JSONRPCErrorCode.methodNotFound, message: "Method not found: \(method)")
            }
        } catch is CancellationError {
            return nil
        } catch let error as DownstreamError {
            if case .cancelled = error { return nil }
            return .errorResponse(id: id, code: error.code, message: error.description)
        } catch let error as SessionError {
            return .errorResponse(id: id, code: error.code, message: error.message, data: error.data)
        } catch {
            return .errorResponse(id: id, code: JSONRPCErrorCode.internalError, message: "\(error)")
        }
    }

    // MARK: - Lifecycle

    private func initialize(_ request: JSONRPCMessage) -> JSONRPCMessage {
        let params = request.params ?? .emptyObject
        let requested = params["protocolVersion"]?.stringValue
        let version =
            requested.flatMap { Self.supportedProtocolVersions.contains($0) ? $0 : nil }
            ?? Self.supportedProtocolVersions.last ?? "2025-06-18"
        state.withLock { state in
            state.initialized = true
            state.protocolVersion = version
            state.clientCapabilities = params["capabilities"] ?? .emptyObject
            state.clientName = params["clientInfo"]?["name"]?.stringValue
            state.clientVersion = params["clientInfo"]?["version"]?.stringValue
        }
        register(
            clientName: params["clientInfo"]?["name"]?.stringValue,
            clientVersion: params["clientInfo"]?["version"]?.stringValue, protocolVersion: version)
        return .response(
            id: request.id ?? .null,
            result: RawJSON(object: [
                ("protocolVersion", RawJSON(string: version)),
                ("capabilities", Self.capabilities),
                ("serverInfo", Self.serverInfo),
                ("instructions", RawJSON(string: Self.instructions)),
            ]))
    }

    static let instructions = "Junction routes these tools to many MCP servers; tool names are namespace__tool."

    /// What Junction serves, in either era.
    static let capabilities = RawJSON(object: [
        ("tools", RawJSON(object: [("listChanged", .true)])),
        ("resources", RawJSON(object: [("listChanged", .true), ("subscribe", .true)])),
        ("prompts", RawJSON(object: [("listChanged", .true)])),
        ("logging", .emptyObject),
        ("completions", .emptyObject),
    ])

    /// Makes the session known to the engine (sessions list, audit), once.
    func register(clientName: String?, clientVersion: String?, protocolVersion: String) {
        let first = state.withLock { state -> Bool in
            defer { state.registered = true }
            return !state.registered
        }
        guard first else { return }
        let root = engine.rootPath(of: target)
        engine.sessionStarted(
            self,
            info: SessionInfo(
                id: id, clientName: clientName, clientVersion: clientVersion, protocolVersion: protocolVersion,
                transport: transport, clientRoot: root,
                workspaceId: engine.route(tool: "-", clientRoot: root ?? "/").workspace?.id))
    }

    /// Asks a client that supports roots where it works, unless a workspace was pinned.
    private func startRootsDiscovery() {
        let shouldAsk = state.withLock { state -> Bool in
            !state.pinned && state.clientCapabilities["roots"] != nil
        }
        guard shouldAsk else { return }
        // Kept as rootsTask: replaced (and cancelled) by the next roots change, cancelled by close().
        let task = Task { [self] in
            let response = await requestClient("roots/list", params: nil, timeout: .seconds(5))
            guard response.kind == .response,
                let roots = response.result?["roots"]?.elements,
                let path = roots.lazy.compactMap({ $0["uri"]?.stringValue }).compactMap(Self.path(fromFileURI:)).first
            else { return }
            let changed = state.withLock { state -> Bool in
                guard state.target != .folder(path) else { return false }
                state.target = .folder(path)
                return true
            }
            if changed { await notifyIfVisibleSetChanged() }
        }
        state.withLock { state in
            state.rootsTask?.cancel()
            state.rootsTask = task
        }
    }

    /// Waits (briefly) for the client's roots answer so the first tools/list routes right.
    func awaitRoots() async {
        guard let task = state.withLock({ $0.rootsTask }) else { return }
        await task.value
    }

    static func path(fromFileURI uri: String) -> String? {
        guard let url = URL(string: uri), url.isFileURL else { return nil }
        let path = url.path
        return path.isEmpty ? nil : path
    }

    /// Sends a request to the client and waits for its answer (bounded).
    func requestClient(_ method: String, params: RawJSON?, timeout: Duration) async -> JSONRPCMessage {
        let id = state.withLock { state -> Int in
            defer { state.nextClientRequestId += 1 }
            return state.nextClientRequestId
        }
        // Bound: the answer or a timeout error, whichever first; cancelled with the caller.
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            let continuation = state.withLock { $0.clientRequests.removeValue(forKey: id) }
            continuation?.resume(
                returning: .errorResponse(
                    id: RawJSON(integer: id), code: JSONRPCErrorCode.timeout, message: "the client did not answer"))
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let closed = state.withLock { state -> Bool in
                    if state.closed || Task.isCancelled { return true }
                    state.clientRequests[id] = continuation
                    return false
                }
                if closed {
                    continuation.resume(
                        returning: .errorResponse(
                            id: nil, code: JSONRPCErrorCode.requestCancelled, message: "session closed or cancelled"))
                    return
                }
                send(.request(id: RawJSON(integer: id), method: method, params: params))
            }
        } onCancel: {
            // The downstream withdrew its request: withdraw ours from the client too.
            let continuation = state.withLock { $0.clientRequests.removeValue(forKey: id) }
            guard let continuation else { return }
            notify(
                "notifications/cancelled",
                params: RawJSON(object: [
                    ("requestId", RawJSON(integer: id)),
                    ("reason", RawJSON(string: "the server cancelled its request")),
                ]))
            continuation.resume(
                returning: .errorResponse(
                    id: RawJSON(integer: id), code: JSONRPCErrorCode.requestCancelled, message: "cancelled"))
        }
    }

    // MARK: - Logging

    /// RFC 5424 severities as MCP names them, least severe first.
    static let logLevels = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]

    /// Records the client's level (messages below it are not relayed) and passes it on to this
    /// session's own per-session servers; shared servers keep theirs, as other clients share them.
    private func setLogLevel(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        guard let params = request.params, let level = params["level"]?.stringValue,
            let rank = Self.logLevels.firstIndex(of: level)
        else {
            throw SessionError(
                code: JSONRPCErrorCode.invalidParams,
                message: "logging/setLevel needs params.level, one of \(Self.logLevels.joined(separator: ", "))")
        }
        state.withLock { $0.logLevel = rank }
        for instance in await engine.pool.running() where instance.key.sessionId == id {
            if instance.capabilities["logging"] != nil { instance.notifyRequest("logging/setLevel", params: params) }
        }
        return .response(id: request.id ?? .null, result: .emptyObject)
    }

    /// Relays a downstream log message when it is at or above the client's level: to a
    /// handshake-era client as before; to a modern one only while a request that asked for log
    /// messages (at that level) is being served by that downstream.
    func relayLog(_ params: RawJSON?, from key: InstanceKey) {
        let rank = params?["level"]?.stringValue.flatMap { Self.logLevels.firstIndex(of: $0) } ?? 0
        let wanted = state.withLock { state -> Bool in
            if !state.modern || state.initialized { return rank >= (state.logLevel ?? 0) }
            return state.logListeners.values.contains { $0.downstreamId == key.downstreamId && rank >= $0.rank }
        }
        if wanted { notify("notifications/message", params: params) }
    }

    // MARK: - Output

    func send(_ message: JSONRPCMessage) {
        var bytes = message.encoded()
        bytes.append(0x0A)
        output(bytes)
    }

    func notify(_ method: String, params: RawJSON?) {
        send(.notification(method: method, params: params))
    }

    // MARK: - Routing helpers

    /// The client-visible name a requested tool name stands for: itself, or, in a session serving
    /// one server under its tools' own names, that server's namespaced name.
    func visibleName(ofRequested name: String) -> String {
        guard let onlyDownstream,
            let downstream = engine.downstream(id: onlyDownstream)
        else { return name }
        return ToolNaming.visibleName(namespace: downstream.namespace, name: name)
    }

    func decide(_ visibleName: String) -> Decision {
        engine.route(tool: visibleName, for: target)
    }

    /// The auth scope used to list (and read resources and prompts of) a downstream: the one routing
    /// gives its namespace in this session (a rule such as `github__*` with a scope), so a server
    /// that needs credentials to start can be discovered, and calls reuse the same process.
    func discoveryScope(for downstream: Downstream) -> String? {
        // Probe with a known tool when one was catalogued, else with a name any `ns__*` rule matches.
        let known = engine.storedCatalog(of: downstream.id)?.tools.lazy.compactMap { $0["name"]?.stringValue }
        var probes = known.map { Array($0.prefix(8)) } ?? []
        probes.append("*")
        for probe in probes {
            let decision = decide(ToolNaming.visibleName(namespace: downstream.namespace, name: probe))
            if decision.decision != .deny, decision.downstream?.id == downstream.id { return decision.authScope?.id }
        }
        return nil
    }

    /// Runs `body` for every enabled downstream concurrently, with its shared instance.
    private func eachDownstream<T: Sendable>(
        _ body: @escaping @Sendable (Downstream, DownstreamInstance) async -> T?
    ) async -> [(Downstream, T)] {
        let sessionId = id
        let pool = engine.pool
        return await eachEnabledDownstream { downstream in
            guard
                let instance = try? await pool.instance(
                    for: downstream, authScopeId: self.discoveryScope(for: downstream), sessionId: sessionId)
            else { return nil }
            return await body(downstream, instance)
        }
    }

    /// What every enabled downstream offers, fast: a running server's live catalog, else the
    /// catalog stored at its last discovery (and the server is started in the background to
    /// refresh it; a change brings list_changed), else the server is started and discovered now.
    func catalogs() async -> [(Downstream, Catalog)] {
        let sessionId = id
        let engine = engine
        let catalogTTL = engine.presentation.catalogTTLSec
        return await eachEnabledDownstream { downstream in
            if let running = engine.pool.readyInstance(
                for: downstream, authScopeId: self.discoveryScope(for: downstream), sessionId: sessionId)
            {
                if catalogTTL > 0 {
                    // Short: one actor hop that may schedule a re-listing; ends by itself.
                    Task { await engine.pool.refreshCatalog(of: running, olderThan: .seconds(catalogTTL)) }
                }
                return await running.currentCatalog()
            }
            if let stored = engine.storedCatalog(of: downstream.id) {
                // Refresh in the background; the pool starts it once however many sessions ask.
                Task {
                    _ = try? await engine.pool.instance(
                        for: downstream, authScopeId: self.discoveryScope(for: downstream), sessionId: sessionId)
                }
                return stored
            }
            // Never discovered: started now, and waited for a while only when it has not failed
            // before. A server hanging in initialize must not hold every session's listing for
            // its whole startup timeout; once up it is listed (its discovery brings list_changed).
            let scope = self.discoveryScope(for: downstream)
            let start = Task {
                try? await engine.pool.instance(for: downstream, authScopeId: scope, sessionId: sessionId).catalog
            }
            if await engine.pool.status(of: downstream).lastError != nil { return nil }
            return await Self.value(of: start, within: engine.uncataloguedListingPatience)
        }
    }

    /// The task's value if it ends within `limit`, else nil; the task goes on either way.
    static func value<T: Sendable>(of task: Task<T?, Never>, within limit: Duration) async -> T? {
        let (outcome, finish) = AsyncStream<T?>.makeStream(bufferingPolicy: .bufferingNewest(1))
        // Both end by themselves: the waiter with the task, the timer at the limit (or cancelled).
        Task {
            let value = await task.value
            finish.yield(value)
            finish.finish()
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            finish.finish()
        }
        defer { timer.cancel() }
        for await value in outcome { return value }
        return nil
    }

    /// Why the server a tool name routes to offers no tools: it cannot be started (failed to
    /// start, in backoff, disabled), as the error to answer with. Nil when it runs (its tools were
    /// listed again meanwhile) or the name routes nowhere.
    private func unavailableServer(for decision: Decision) async -> DownstreamError? {
        guard decision.decision != .deny, let target = decision.downstream,
            let downstream = engine.downstream(id: target.id),
            !downstream.quarantined
        else { return nil }
        // Waiting out a backoff only to fail again helps nobody: its last failure is the answer now.
        let status = await engine.pool.status(of: downstream)
        if let lastError = status.lastError, status.state == "backoff" || status.state == "crash_loop" {
            let prefix = "server '\(downstream.name)' is unavailable: "
            let cause = lastError.hasPrefix(prefix) ? String(lastError.dropFirst(prefix.count)) : lastError
            let retry = status.restartInSeconds.map { "; next start in \(Int($0.rounded(.up))) s" } ?? ""
            return .unavailable(server: downstream.name, reason: cause + retry, stderr: [])
        }
        let scope = decision.authScope?.id ?? discoveryScope(for: downstream)
        do {
            _ = try await InlineTaskExecutor.runOnPool { [engine, id] in
                try await engine.pool.instance(for: downstream, authScopeId: scope, sessionId: id)
            }
        } catch let error as DownstreamError {
            if case .cancelled = error { return nil }
            return error
        } catch {
            return nil
        }
        _ = await InlineTaskExecutor.runOnPool { await visibleTools() }
        return nil
    }

    private func eachEnabledDownstream<T: Sendable>(
        _ body: @escaping @Sendable (Downstream) async -> T?
    ) async -> [(Downstream, T)] {
        let downstreams = engine.downstreams.filter {
            $0.enabled && !$0.quarantined && (onlyDownstream == nil || $0.id == onlyDownstream)
        }
        return await withTaskGroup(of: (Int, Downstream, T?).self) { group in
            for (index, downstream) in downstreams.enumerated() {
                group.addTask { (index, downstream, await body(downstream)) }
            }
            var results: [(Int, Downstream, T)] = []
            for await (index, downstream, value) in group {
                if let value { results.append((index, downstream, value)) }
            }
            return results.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
        }
    }

    // MARK: - Tools

    static let pageSize = 500

    func visibleTools() async -> [(name: String, tool: RawJSON, entry: VisibleTool)] {
        await awaitRoots()
        // Renamed and sorted once per catalog, for every session (VisibleToolCache).
        let lists = await catalogs().map { downstream, catalog in
            engine.visibleTools.tools(of: downstream, catalog: catalog)
        }
        let overrides = engine.presentation.descriptionOverrides
        var visible: [(name: String, tool: RawJSON, entry: VisibleTool)] = []
        var map: [String: VisibleTool] = [:]
        for tools in lists {
            for (name, tool, entry) in tools {
                map[name] = entry
                guard decide(name).decision != .deny else { continue }
                // One server alone: its tools under their own names (calls map them back).
                var shown =
                    onlyDownstream == nil ? tool : tool.setting("name", to: RawJSON(string: entry.originalName)) ?? tool
                if let description = overrides[name] {
                    shown = shown.setting("description", to: RawJSON(string: description)) ?? shown
                }
                visible.append((name, shown, entry))
            }
        }
        state.withLock { state in
            state.tools = map
            state.lastToolNames = visible.map(\.name)
        }
        return visible
    }

    private func listTools(cursor: RawJSON?) async throws -> RawJSON {
        // Later pages come from the listing the first page made: pages agree with each other, and
        // a listing routes every tool once rather than once per page.
        let tools: [RawJSON]
        if cursor != nil, let listed = state.withLock({ $0.listedTools }) {
            tools = listed
        } else {
            tools = await listedToolsNow()
            state.withLock { $0.listedTools = tools }
        }
        let start: Int
        if let cursor {
            guard let text = cursor.stringValue, let offset = Int(text), offset >= 0, offset <= tools.count else {
                throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "invalid cursor")
            }
            start = offset
        } else {
            start = 0
        }
        let end = min(tools.count, start + Self.pageSize)
        var members: [(key: String, value: RawJSON)] = [("tools", RawJSON(array: Array(tools[start..<end])))]
        if end < tools.count { members.append(("nextCursor", RawJSON(string: String(end)))) }
        return RawJSON(object: members)
    }

    /// Tells the client its tools changed when the visible set is not what it last listed.
    func notifyIfVisibleSetChanged() async {
        // Slim mode turned on or off (a setting, a workspace): what the client listed is wrong.
        let listing = toolListing()
        if state.withLock({ state in (state.listing.map { $0 != listing } ?? false) && !state.closed }) {
            state.withLock { $0.listing = nil }
            emit("notifications/tools/list_changed", params: nil, kind: .tools)
            return
        }
        let (before, interested) = state.withLock { state in
            (state.lastToolNames, !state.closed && (state.lastToolNames != nil || !state.subscriptions.isEmpty))
        }
        guard interested else { return }
        let names = await visibleTools().map(\.name)
        if names != before { emit("notifications/tools/list_changed", params: nil, kind: .tools) }
    }

    func catalogChanged(kinds: Set<CatalogEntry.Kind>) async {
        guard state.withLock({ ($0.initialized || !$0.subscriptions.isEmpty) && !$0.closed }) else { return }
        if kinds.contains(.tool) { await notifyIfVisibleSetChanged() }
        if kinds.contains(.resource) || kinds.contains(.resourceTemplate) {
            emit("notifications/resources/list_changed", params: nil, kind: .resources)
        }
        if kinds.contains(.prompt) { emit("notifications/prompts/list_changed", params: nil, kind: .prompts) }
    }

    func callTool(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        let id = request.id ?? .null
        guard let params = request.params, let requested = params["name"]?.stringValue else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "tools/call needs params.name")
        }
        if BuiltInTools.names.contains(requested), builtInToolsListed() {
            return try await callBuiltInTool(requested, request: request)
        }
        let name = visibleName(ofRequested: requested)
        let started = ContinuousClock.now
        let arguments = params["arguments"]
        // A modern client's retry with the input a server asked for (multi round-trip).
        let resume = try resumeState(params, method: "tools/call", subject: name)
        if state.withLock({ $0.tools[name] == nil }) { _ = await InlineTaskExecutor.runOnPool { await visibleTools() } }
        let decision = decide(name)
        // Its server listed nothing: say why it is unavailable rather than that the tool is unknown.
        var unavailable: DownstreamError?
        if state.withLock({ $0.tools[name] == nil }) { unavailable = await unavailableServer(for: decision) }
        let entry = state.withLock { $0.tools[name] }
        var record = engine.auditRecord(session: self, tool: name, decision: decision)
        record.requestId = id.description
        engine.publishDecision(decision, record: record)

        func finish(_ status: AuditRecord.Status, _ response: JSONRPCMessage) -> JSONRPCMessage {
            record.status = status
            record.setLatency(ContinuousClock.now - started)
            if response.kind == .errorResponse {
                record.errorCode = response.errorCode
                record.errorMessage = response.errorMessage
            }
            record.resultBytes = response.result?.bytes.count ?? 0
            engine.audit(record, arguments: arguments, scopeId: decision.authScope?.id)
            return response
        }

        /// Audits a call the client cancelled, or that shutdown cut short (with the error it got).
        func auditCancelled() {
            record.status = .cancelled
            record.setLatency(ContinuousClock.now - started)
            if let reason = state.withLock({ $0.shutdownReason }) {
                let answer = Self.shuttingDown(id: id, reason: reason)
                record.errorCode = answer.errorCode
                record.errorMessage = answer.errorMessage
            }
            engine.audit(record, arguments: arguments, scopeId: decision.authScope?.id)
        }

        if let unavailable {
            return finish(.error, .errorResponse(id: id, code: unavailable.code, message: unavailable.description))
        }
        // A quarantined server or tool is not listed, yet it is no unknown tool: the denial below
        // says why it is refused and how to approve it.
        let awaitsReview =
            decision.decision == .deny
            && decision.downstream.map {
                engine.awaitsReview(
                    downstreamId: $0.id, tool: decision.downstreamToolName)
            } == true
        guard entry != nil || awaitsReview else {
            return finish(
                .error,
                .errorResponse(
                    id: id, code: JSONRPCErrorCode.invalidParams,
                    message: "Unknown tool: \(name). List the tools with tools/list; names are namespace__tool."))
        }
        switch decision.decision {
        case .approve where resume?.approved == true:
            break  // approved on the first round of this request
        case .deny:
            // A tool result, not a protocol error: the model reads why, and can tell the user. The
            // audit keeps the denial's code and reason, as for any refused call.
            // The reason of a quarantine names the command that approves it; a rule's, how to see it.
            let reason =
                awaitsReview
                ? "Junction denied \(name): \(decision.reason)."
                : "Junction denied \(name): \(decision.reason). "
                    + "Change the rule with junction route (see junction dry-run \(name))."
            record.errorCode = JSONRPCErrorCode.denied
            record.errorMessage = reason
            return finish(.denied, Self.toolError(id: id, reason))
        case .approve:
            let approvalId = ULID.make()
            record.approvalId = approvalId
            var progress: (@Sendable (String) -> Void)?
            if let clientToken = params["_meta"]?["progressToken"] {
                let ticks = Mutex(0)
                progress = { [self] message in
                    let tick = ticks.withLock { count -> Int in
                        count += 1
                        return count
                    }
                    let update = RawJSON(object: [
                        ("progressToken", clientToken), ("progress", RawJSON(integer: tick)),
                        ("message", RawJSON(string: message)),
                    ])
                    notify("notifications/progress", params: update)
                }
            }
            let request = ApprovalRequest(
                id: approvalId, sessionId: self.id, clientName: clientName, toolName: name, decision: decision,
                arguments: arguments.map(engine.redact), progress: progress)
            let outcome = await InlineTaskExecutor.runOnPool { await engine.approvals.decide(request) }
            switch outcome {
            case .approved:
                break
            case .denied(let reason):
                return finish(
                    .approvalDenied, Self.toolError(id: id, "Junction: the call was not approved. \(reason)"))
            case .timedOut:
                return finish(
                    .approvalTimeout, Self.toolError(id: id, "Junction: nobody approved \(name) in time."))
            case .cancelled:
                auditCancelled()
                return .errorResponse(id: id, code: JSONRPCErrorCode.requestCancelled, message: "cancelled")
            }
        case .allow:
            break
        }
        guard let target = decision.downstream,
            let downstream = engine.downstream(id: target.id)
        else {
            return finish(
                .error,
                .errorResponse(id: id, code: JSONRPCErrorCode.downstreamUnavailable, message: decision.reason))
        }
        if let resume, resume.downstreamId != downstream.id {
            return finish(
                .error,
                .errorResponse(
                    id: id, code: JSONRPCErrorCode.invalidParams,
                    message: "\(name) is now routed to another server than the one that asked for input: "
                        + "send the call again without requestState and inputResponses"))
        }
        let originalName =
            entry.flatMap { $0.downstreamId == downstream.id ? $0.originalName : nil }
            ?? decision.downstreamToolName ?? name
        let forwarded = params.setting("name", to: RawJSON(string: originalName)) ?? params
        // The downstream sees Junction's progress token (unique on a shared server); the client
        // gets its own token back on every progress notification.
        var onProgress: (@Sendable (RawJSON) -> Void)?
        if let clientToken = params["_meta"]?["progressToken"] {
            onProgress = { [self] progress in
                let mapped = progress.setting("progressToken", to: clientToken) ?? progress
                notify("notifications/progress", params: mapped)
            }
        }
        // Tier 2: results of read-only tools (or of rules with a cache TTL) are reused for a while.
        let readOnly = entry?.readOnly == true && entry?.downstreamId == downstream.id
        // A retry carrying input depends on more than its arguments: never cached.
        let ttl =
            params["inputResponses"] != nil || resume != nil
            ? 0 : decision.matchedRule?.cacheTTLSec ?? (readOnly ? engine.readOnlyCacheTTLSec : 0)
        let cacheKey =
            ttl > 0
            ? try? ToolResultCache.Key(
                downstreamId: downstream.id, authScopeId: decision.authScope?.id, tool: originalName,
                arguments: (arguments ?? .emptyObject).bytes) : nil
        if let cacheKey, let hit = engine.resultCache.lookup(cacheKey, session: self.id) {
            record.cacheHit = true
            let result = Self.markingCacheHit(RawJSON(trusted: hit.value), age: hit.age)
            return finish(.ok, .response(id: id, result: result))
        }
        // Past its server's or its key's cap the call waits in line; past the line's bound it fails
        // with a tool error the model can read.
        let permit: CallLimiter.Permit
        do {
            permit = try await engine.callLimiter.acquire(
                server: downstream.id, serverName: downstream.name, serverCap: downstream.maxConcurrentCalls,
                key: callLimitKey)
        } catch let refusal as CallLimiter.Refusal {
            record.errorMessage = refusal.description
            return finish(.error, Self.toolError(id: id, refusal.description))
        } catch {
            auditCancelled()
            throw CancellationError()
        }
        defer { permit.release() }
        do {
            let scopeId = decision.authScope?.id
            let instance: DownstreamInstance
            if let ready = engine.pool.readyInstance(for: downstream, authScopeId: scopeId, sessionId: self.id) {
                instance = ready
            } else {
                instance = try await InlineTaskExecutor.runOnPool {
                    try await engine.pool.instance(for: downstream, authScopeId: scopeId, sessionId: self.id)
                }
            }
            engine.publishStarted(record, downstream: downstream, serverToolName: originalName)
            let response = try await forward(
                "tools/call", subject: name, params: forwarded, to: instance, resume: resume,
                approved: decision.decision == .approve, onProgress: onProgress)
            var answer = response
            answer.id = id
            let isError = response.kind == .errorResponse || response.result?["isError"]?.boolValue == true
            if var cacheKey {
                if !isError, let result = response.result, result["resultType"]?.stringValue != "input_required" {
                    // A result its server calls private is kept for this session alone.
                    if result["cacheScope"]?.stringValue == "private" { cacheKey.privateToSession = self.id }
                    engine.resultCache.put(cacheKey, value: result.bytes, ttl: .seconds(Limits.clampedSeconds(ttl)))
                }
            } else if !readOnly {
                // A call that may write through this server makes its cached reads stale.
                engine.resultCache.invalidate(downstreamId: downstream.id)
            }
            return finish(isError ? .error : .ok, answer)
        } catch let error as DownstreamError {
            if case .cancelled = error {
                auditCancelled()
                throw error
            }
            if case .timeout = error {
                return finish(.timeout, .errorResponse(id: id, code: error.code, message: error.description))
            }
            return finish(.error, .errorResponse(id: id, code: error.code, message: error.description))
        } catch let error as SessionError {
            return finish(
                .error, .errorResponse(id: id, code: error.code, message: error.message, data: error.data))
        } catch is CancellationError {
            auditCancelled()
            throw CancellationError()
        }
    }

    /// Adds `_meta["junction/cache"] = {"hit": true, "age_ms": N}` to a cached result.
    static func markingCacheHit(_ result: RawJSON, age: Duration) -> RawJSON {
        let ageMs = Int(age.components.seconds * 1000 + age.components.attoseconds / 1_000_000_000_000_000)
        let marker = RawJSON(object: [("hit", .true), ("age_ms", RawJSON(integer: ageMs))])
        let meta = result["_meta"].flatMap { $0.isObject ? $0 : nil } ?? .emptyObject
        guard let newMeta = meta.setting("junction/cache", to: marker) else { return result }
        return result.setting("_meta", to: newMeta) ?? result
    }

    static func toolError(id: RawJSON, _ text: String) -> JSONRPCMessage {
        .response(
            id: id,
            result: RawJSON(object: [
                (
                    "content",
                    RawJSON(array: [
                        RawJSON(object: [("type", RawJSON(string: "text")), ("text", RawJSON(string: text))])
                    ])
                ),
                ("isError", .true),
            ]))
    }

    // MARK: - Prompts

    private func listPrompts() async -> RawJSON {
        await awaitRoots()
        let lists = await catalogs().map { downstream, catalog in
            let prompts = catalog.prompts.compactMap { prompt -> (String, RawJSON, VisibleTool)? in
                guard let original = prompt["name"]?.stringValue else { return nil }
                let visible = ToolNaming.visibleName(namespace: downstream.namespace, name: original)
                return (visible, prompt, VisibleTool(downstreamId: downstream.id, originalName: original))
            }
            return (downstream, prompts.sorted { $0.0 < $1.0 })
        }
        var prompts: [RawJSON] = []
        var map: [String: VisibleTool] = [:]
        for (_, entries) in lists {
            for (name, prompt, entry) in entries where decide(name).decision != .deny {
                map[name] = entry
                prompts.append(prompt.setting("name", to: RawJSON(string: name)) ?? prompt)
            }
        }
        state.withLock { $0.prompts = map }
        return RawJSON(object: [("prompts", RawJSON(array: prompts))])
    }

    private func getPrompt(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        guard let params = request.params, let name = params["name"]?.stringValue else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "prompts/get needs params.name")
        }
        if state.withLock({ $0.prompts[name] == nil }) { _ = await listPrompts() }
        guard let entry = state.withLock({ $0.prompts[name] }),
            let downstream = engine.downstream(id: entry.downstreamId)
        else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "Unknown prompt: \(name)")
        }
        let resume = try resumeState(params, method: "prompts/get", subject: name)
        let instance = try await engine.pool.instance(
            for: downstream, authScopeId: discoveryScope(for: downstream), sessionId: id)
        var response = try await forward(
            "prompts/get", subject: name,
            params: params.setting("name", to: RawJSON(string: entry.originalName)) ?? params,
            to: instance, resume: resume)
        response.id = request.id
        return response
    }

    // MARK: - Resources (URIs pass through unchanged and are routed to the server that listed them)

    private func listResources() async -> RawJSON {
        let lists = await catalogs().map { ($0.0, $0.1.resources) }
        var owners: [String: String] = [:]
        var resources: [RawJSON] = []
        for (downstream, entries) in lists {
            for resource in entries {
                if let uri = resource["uri"]?.stringValue, owners[uri] == nil { owners[uri] = downstream.id }
                resources.append(resource)
            }
        }
        state.withLock { $0.resourceOwners.merge(owners) { old, _ in old } }
        return RawJSON(object: [("resources", RawJSON(array: resources))])
    }

    private func listResourceTemplates() async -> RawJSON {
        let lists = await catalogs().map { ($0.0, $0.1.resourceTemplates) }
        return RawJSON(object: [("resourceTemplates", RawJSON(array: lists.flatMap(\.1)))])
    }

    /// The server owning a URI: one that listed it, else one whose template's fixed prefix it has.
    func owner(ofResource uri: String) async -> Downstream? {
        let config = engine.configuration
        if let id = state.withLock({ $0.resourceOwners[uri] }), let downstream = config.downstream(id: id) {
            return downstream
        }
        _ = await listResources()
        if let id = state.withLock({ $0.resourceOwners[uri] }), let downstream = config.downstream(id: id) {
            return downstream
        }
        let byTemplate = await eachDownstream { _, instance in
            instance.catalog.resourceTemplates.contains { template in
                guard let pattern = template["uriTemplate"]?.stringValue else { return false }
                let prefix = pattern.prefix { $0 != "{" }
                return !prefix.isEmpty && uri.hasPrefix(prefix)
            } ? true : nil
        }
        return byTemplate.first?.0
    }

    private func forwardResource(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        guard let params = request.params, let uri = params["uri"]?.stringValue else {
            throw SessionError(
                code: JSONRPCErrorCode.invalidParams, message: "\(request.method ?? "") needs params.uri")
        }
        let method = request.method ?? ""
        let resume = try resumeState(params, method: method, subject: uri)
        let instance = try await resourceInstance(for: uri)
        var response: JSONRPCMessage
        switch method {
        case "resources/subscribe":
            try await instance.subscribe(uri: uri, context: downstreamContext())
            response = .response(id: request.id ?? .null, result: .emptyObject)
        case "resources/unsubscribe":
            try await instance.unsubscribe(uri: uri)
            response = .response(id: request.id ?? .null, result: .emptyObject)
        default:
            response = try await forward(method, subject: uri, params: params, to: instance, resume: resume)
        }
        response.id = request.id
        return response
    }

    /// The running server that owns a resource URI.
    func resourceInstance(for uri: String) async throws -> DownstreamInstance {
        guard let downstream = await owner(ofResource: uri) else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "Unknown resource: \(uri)")
        }
        return try await engine.pool.instance(
            for: downstream, authScopeId: discoveryScope(for: downstream), sessionId: id)
    }

    private func complete(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        guard let params = request.params, let ref = params["ref"] else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "completion/complete needs params.ref")
        }
        var forwarded = params
        let downstream: Downstream?
        if let name = ref["name"]?.stringValue, ref["type"]?.stringValue == "ref/prompt" {
            if state.withLock({ $0.prompts[name] == nil }) { _ = await listPrompts() }
            let entry = state.withLock { $0.prompts[name] }
            downstream = entry.flatMap { engine.downstream(id: $0.downstreamId) }
            if let entry, let newRef = ref.setting("name", to: RawJSON(string: entry.originalName)) {
                forwarded = params.setting("ref", to: newRef) ?? params
            }
        } else if let uri = ref["uri"]?.stringValue {
            downstream = await owner(ofResource: uri)
        } else {
            downstream = nil
        }
        guard let downstream else {
            return .response(
                id: request.id ?? .null,
                result: RawJSON(object: [
                    ("completion", RawJSON(object: [("values", .emptyArray), ("hasMore", .false)]))
                ]))
        }
        let instance = try await engine.pool.instance(
            for: downstream, authScopeId: discoveryScope(for: downstream), sessionId: id)
        let subject = ref["name"]?.stringValue ?? ref["uri"]?.stringValue ?? ""
        var response = try await forward("completion/complete", subject: subject, params: forwarded, to: instance)
        response.id = request.id
        return response
    }
}

/// A request the session refuses, with the JSON-RPC code to answer.
struct SessionError: Error {
    var code: Int
    var message: String
    var data: RawJSON? = nil
}
