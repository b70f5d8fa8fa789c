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
        /// The pages of the latest `tools/list` without a cursor, which later pages continue.
        var listedPages: ToolPages?
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

    func dispatch(_ message: JSONRPCMessage) {
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

    func handleNotification(_ message: JSONRPCMessage) {
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
    func handleRequest(_ request: JSONRPCMessage) async -> JSONRPCMessage? {
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

    func serve(_ request: JSONRPCMessage) async -> JSONRPCMessage? {
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

    // MARK: - Output

    func send(_ message: JSONRPCMessage) {
        var bytes = message.encoded()
        bytes.append(0x0A)
        output(bytes)
    }

    func notify(_ method: String, params: RawJSON?) {
        send(.notification(method: method, params: params))
    }
}

/// A request the session refuses, with the JSON-RPC code to answer.
struct SessionError: Error {
    var code: Int
    var message: String
    var data: RawJSON? = nil
}
