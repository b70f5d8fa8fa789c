import Foundation
import JunctionCore
import Logging
import Synchronization

/// A JSON-RPC client over one downstream server, whatever its transport (a child process's
/// pipes, HTTP).
///
/// Request ids are Junction's own integers (so ids from many clients never collide on a shared
/// server); progress tokens are rewritten to those ids and reported back to the caller. Every
/// request has a deadline, extended by progress up to a maximum; on expiry or cancellation the
/// server gets `notifications/cancelled`. A request sent without a timeout (a `subscriptions/listen`
/// stream) has no deadline: it ends with its response, its cancellation or the process. If the
/// process exits, every pending request fails at once with the server's name and its last stderr
/// lines.
final class DownstreamConnection: Sendable {
    struct Handlers: Sendable {
        /// Notifications from the server other than progress for a pending request.
        var onNotification: @Sendable (JSONRPCMessage) -> Void = { _ in }
        /// Requests from the server (sampling, elicitation, roots, ping); returns the response.
        var onRequest: @Sendable (JSONRPCMessage) async -> JSONRPCMessage = { request in
            if request.method == "ping" { return .response(id: request.id ?? .null, result: .emptyObject) }
            return .errorResponse(
                id: request.id, code: JSONRPCErrorCode.methodNotFound,
                message: "Method not found: \(request.method ?? "")")
        }
        /// The process ended (crash or stop); called once.
        var onExit: @Sendable (String) -> Void = { _ in }
    }

    private struct Pending {
        var continuation: CheckedContinuation<JSONRPCMessage, any Error>
        /// Nil for a request without a deadline.
        var deadline: ContinuousClock.Instant?
        var maxDeadline: ContinuousClock.Instant?
        var timeout: Duration?
        var onProgress: (@Sendable (RawJSON) -> Void)?
    }

    private struct State {
        var nextId = 1
        var pending: [Int: Pending] = [:]
        var exitReason: String?
        /// Requests the server made of us, being answered.
        var serverRequests: [RawJSON: Task<Void, Never>] = [:]
    }

    let server: String
    let stderr: StderrLog
    let maxMessageBytes: Int
    static let oversizedContextBytes = 1024
    private static let logger = Logger(label: "junction.downstream")
    private let handlers: Handlers
    private let state: Mutex<State>
    private let transport: any DownstreamTransport
    private let watchdog: Mutex<Task<Void, Never>?>

    /// A connection to a child process spoken to over stdio.
    convenience init(
        server: String,
        command: String,
        arguments: [String],
        environment: [String: String],
        cwd: String?,
        logPath: String?,
        maxMessageBytes: Int,
        secretValues: [String] = [],
        handlers: Handlers
    ) throws {
        let stderr = StderrLog(logPath: logPath, secretValues: secretValues)
        let transport = StdioTransport(
            server: server, command: command, arguments: arguments, environment: environment, cwd: cwd, stderr: stderr,
            maxMessageBytes: maxMessageBytes, oversizedContextBytes: Self.oversizedContextBytes)
        try self.init(
            server: server, transport: transport, stderr: stderr, maxMessageBytes: maxMessageBytes, handlers: handlers)
    }

    /// A connection over `transport`, started here.
    init(
        server: String, transport: any DownstreamTransport, stderr: StderrLog, maxMessageBytes: Int,
        handlers: Handlers
    ) throws {
        self.server = server
        self.handlers = handlers
        self.maxMessageBytes = maxMessageBytes
        self.stderr = stderr
        self.state = Mutex(State())
        self.transport = transport
        self.watchdog = Mutex(nil)
        try transport.start { [weak self] event in self?.receive(event) }
        // Checks deadlines; cancelled in `exited` or deinit.
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(200))
                guard let self else { return }
                self.expireDeadlines()
            }
        }
        watchdog.withLock { $0 = task }
    }

    deinit {
        watchdog.withLock { $0?.cancel() }
    }

    var pid: Int32? { transport.pid }

    /// An id for a request sent later with `request(_:params:timeout:id:)`, for a caller that must
    /// know it before the response (a `subscriptions/listen` stream is named by its request's id).
    func reserveId() -> Int {
        state.withLock { state -> Int in
            defer { state.nextId += 1 }
            return state.nextId
        }
    }

    /// Sends a request and waits for its response (a result or an error response).
    ///
    /// - Parameters:
    ///   - timeout: the deadline, extended by each progress notification up to `maxTimeout`; nil
    ///     for none (the request then ends with its response, `cancel(_:reason:)`, the task's
    ///     cancellation or the process).
    ///   - onProgress: when set, the request asks for progress and each notification's params are
    ///     passed here (with Junction's token, which the caller maps back).
    ///   - id: an id from `reserveId()`; a fresh one when nil.
    func request(
        _ method: String,
        params: RawJSON?,
        timeout: Duration?,
        maxTimeout: Duration? = nil,
        onProgress: (@Sendable (RawJSON) -> Void)? = nil,
        id reserved: Int? = nil
    ) async throws -> JSONRPCMessage {
        let id = reserved ?? reserveId()
        var params = params
        if onProgress != nil {
            params = Self.settingProgressToken(in: params, to: RawJSON(integer: id))
        }
        let message = JSONRPCMessage.request(id: RawJSON(integer: id), method: method, params: params)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let now = ContinuousClock.now
                let failure = state.withLock { state -> (any Error)? in
                    if let reason = state.exitReason {
                        return DownstreamError.unavailable(server: server, reason: reason, stderr: stderr.tail())
                    }
                    if Task.isCancelled { return DownstreamError.cancelled }
                    state.pending[id] = Pending(
                        continuation: continuation, deadline: timeout.map { now + $0 },
                        maxDeadline: timeout.map { now + (maxTimeout ?? $0 * 10) }, timeout: timeout,
                        onProgress: onProgress)
                    return nil
                }
                if let failure {
                    continuation.resume(throwing: failure)
                    return
                }
                send(message)
            }
        } onCancel: {
            self.abandon(id, error: DownstreamError.cancelled, reason: "cancelled by the client")
        }
    }

    /// Gives up on a pending request: its caller gets `DownstreamError.cancelled` and the server
    /// `notifications/cancelled` with `reason`. Nothing happens if it already ended.
    func cancel(_ id: Int, reason: String) {
        abandon(id, error: DownstreamError.cancelled, reason: reason)
    }

    /// Sends a notification.
    func notify(_ method: String, params: RawJSON?) {
        send(.notification(method: method, params: params))
    }

    /// Asks the server to stop: stdin is closed, then SIGTERM and SIGKILL to its process group
    /// if it has not exited after the grace period (a remote server: its session is deleted).
    func stop(grace: Duration = .seconds(2)) {
        transport.stop(grace: grace)
    }

    /// Stops at once (SIGKILL to the group): for shutdown when waiting is not an option.
    func kill() {
        transport.kill()
    }

    /// Closes the process's stdin (a well-behaved server exits), nothing more.
    func closeInput() {
        transport.closeInput()
    }

    /// Sends `signal` to the process group, unless the process was reaped.
    func signalGroup(_ signal: Int32) {
        transport.signalGroup(signal)
    }

    var isRunning: Bool { state.withLock { $0.exitReason == nil } }

    /// How the process ended ("exited with status 3"), once it has.
    var exitReason: String? { state.withLock { $0.exitReason } }

    private func send(_ message: JSONRPCMessage) {
        transport.send(message)
    }

    private func receive(_ event: TransportEvent) {
        switch event {
        case .message(let bytes):
            handle(bytes)
        case .oversized(let size, let head, let tail):
            dropped(size: size, head: head, tail: tail)
        case .failed(let id, let error):
            let pending = state.withLock { $0.pending.removeValue(forKey: id) }
            pending?.continuation.resume(throwing: error)
        case .closed(let reason):
            exited(reason: reason)
        }
    }

    /// A message over the size limit was dropped: the request it answered (named by the id in
    /// its first or last bytes, else the only one pending) fails now rather than at its deadline.
    private func dropped(size: Int, head: [UInt8], tail: [UInt8]) {
        let id = Self.responseId(head: head, tail: tail)
        let error = DownstreamError.messageTooLarge(server: server, bytes: size, limit: maxMessageBytes)
        let pending = state.withLock { state -> Pending? in
            if let id { return state.pending.removeValue(forKey: id) }
            guard state.pending.count == 1, let only = state.pending.first else { return nil }
            return state.pending.removeValue(forKey: only.key)
        }
        let outcome = pending == nil ? "no pending request could be matched" : "the request it answered failed"
        stderr.append(Array("[junction] \(error.description); \(outcome)\n".utf8))
        Self.logger.warning(
            "dropped an oversized message",
            metadata: [
                "junction.downstream": "\(server)", "bytes": "\(size)", "limit": "\(maxMessageBytes)",
                "request": "\(id.map(String.init) ?? "unknown")",
            ])
        pending?.continuation.resume(throwing: error)
    }

    /// The integer `id` of a JSON-RPC response from its first bytes (`{"jsonrpc":"2.0","id":7,…`,
    /// members read in order until one runs past the bytes kept) or its last (`…,"id":7}`).
    static func responseId(head: [UInt8], tail: [UInt8]) -> Int? {
        if let id = PartialObject.integerMember("id", inPrefix: head) { return id }
        return PartialObject.integerMember("id", inSuffix: tail)
    }

    private func handle(_ line: [UInt8]) {
        guard case .success(let message) = JSONRPCMessage.parse(line) else {
            // Garbage on stdout (a print() in the server): keep it with stderr, carry on.
            stderr.append(Array("[junction] ignored non-JSON-RPC output: ".utf8) + line.prefix(500) + [0x0A])
            return
        }
        switch message.kind {
        case .response, .errorResponse:
            guard let id = message.id?.intValue else { return }
            let pending = state.withLock { $0.pending.removeValue(forKey: id) }
            pending?.continuation.resume(returning: message)
        case .notification:
            if message.method == "notifications/cancelled", let requestId = message.params?["requestId"] {
                // The server gave up on a request it made of us (sampling, elicitation): stop relaying it.
                let task = state.withLock { $0.serverRequests.removeValue(forKey: requestId) }
                if let task {
                    task.cancel()
                    return
                }
            }
            if message.method == "notifications/progress", let params = message.params,
                let token = params["progressToken"]?.intValue
            {
                let callback = state.withLock { state -> (@Sendable (RawJSON) -> Void)? in
                    guard var pending = state.pending[token] else { return nil }
                    // Progress extends the deadline, but never past the maximum.
                    if let timeout = pending.timeout, let maxDeadline = pending.maxDeadline {
                        pending.deadline = min(ContinuousClock.now + timeout, maxDeadline)
                    }
                    state.pending[token] = pending
                    return pending.onProgress
                }
                callback?(params)
                return
            }
            handlers.onNotification(message)
        case .request:
            guard let id = message.id else { return }
            let handlers = handlers
            // Answered concurrently so a slow answer (a person elicited) never blocks the reader;
            // kept in `serverRequests` so the server's notifications/cancelled can cancel it. The
            // task is registered under the lock it takes to finish: an answer that comes at once
            // must find its entry (else it was taken for cancelled and never sent).
            state.withLock { state in
                state.serverRequests[id] = Task { [weak self] in
                    let response = await handlers.onRequest(message)
                    guard let self else { return }
                    let wanted = self.state.withLock { $0.serverRequests.removeValue(forKey: id) != nil }
                    if wanted && !Task.isCancelled { self.send(response) }
                }
            }
        }
    }

    private func abandon(_ id: Int, error: any Error, reason: String) {
        let pending = state.withLock { $0.pending.removeValue(forKey: id) }
        guard let pending else { return }
        pending.continuation.resume(throwing: error)
        notify(
            "notifications/cancelled",
            params: RawJSON(object: [("requestId", RawJSON(integer: id)), ("reason", RawJSON(string: reason))]))
    }

    private func expireDeadlines() {
        let now = ContinuousClock.now
        let expired = state.withLock { state in
            state.pending.compactMap { id, pending -> (Int, Duration)? in
                guard let deadline = pending.deadline, let timeout = pending.timeout, deadline <= now else {
                    return nil
                }
                return (id, timeout)
            }
        }
        for (id, timeout) in expired {
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            abandon(
                id, error: DownstreamError.timeout(server: server, seconds: seconds), reason: "timed out in Junction")
        }
    }

    private func exited(reason: String) {
        // Once: a transport says it closed once, but a stop may race its own failure.
        let pending = state.withLock { state -> [Pending]? in
            guard state.exitReason == nil else { return nil }
            state.exitReason = reason
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        guard let pending else { return }
        let error = DownstreamError.unavailable(server: server, reason: reason, stderr: stderr.tail())
        for entry in pending { entry.continuation.resume(throwing: error) }
        watchdog.withLock { $0?.cancel() }
        handlers.onExit(reason)
    }

    static func settingProgressToken(in params: RawJSON?, to token: RawJSON) -> RawJSON? {
        let params = params ?? .emptyObject
        let meta = params["_meta"].flatMap { $0.isObject ? $0 : nil } ?? .emptyObject
        guard let newMeta = meta.setting("progressToken", to: token) else { return params }
        return params.setting("_meta", to: newMeta) ?? params
    }
}
