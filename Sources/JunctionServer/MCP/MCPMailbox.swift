import JunctionCore
import Synchronization

/// Routes what a ``GatewaySession`` writes to the HTTP exchanges of one MCP-over-HTTP session.
///
/// Each client request that arrives in a POST is registered here and given an internal id (and,
/// when it asked for progress, an internal progress token): ids of any JSON type, from clients
/// sharing one session, never collide, and every answer finds the POST waiting for it.
/// - A response goes to its request's POST, with the client's id restored.
/// - Progress, and a subscription's notifications, go to the same POST (which then answers as an
///   SSE stream, when the client accepts one).
/// - Everything else (server requests such as sampling, elicitation and roots, list_changed, log
///   messages) goes to the standalone stream (`GET /mcp`). With none open, a server request goes
///   to a POST that can stream; anything else waits (bounded) for the next stream that opens.
/// Messages sent on a stream carry an event id `<stream>-<seq>`, and the last ``replayLimit`` are
/// kept so a client that lost a stream resumes it with `Last-Event-ID`.
final class MCPMailbox: Sendable {
    /// One message for a stream; `eventId` is nil for an answer sent as plain JSON.
    struct Outgoing: Sendable, Equatable {
        var eventId: String?
        var bytes: [UInt8]
        /// The answer to the request the stream belongs to: the stream ends after it.
        var final: Bool
    }

    /// What `register` gives the POST: its request rewritten for the session, and its stream.
    struct Registration: Sendable {
        var message: JSONRPCMessage
        var stream: AsyncStream<Outgoing>
        var internalId: String
    }

    enum RegistrationError: Error, Equatable {
        /// A request under the same id is still being answered in this session.
        case duplicate
        case closed
    }

    /// A POST waiting for its answer.
    private struct Waiter {
        var clientId: RawJSON
        var clientToken: RawJSON?
        var continuation: AsyncStream<Outgoing>.Continuation?
        /// Which reader `continuation` belongs to (the POST, or a GET resuming its stream).
        var attachment: Int
        /// The client accepts `text/event-stream` for this POST.
        var canStream: Bool
        /// Something was sent before the answer: the POST answers as an SSE stream.
        var streaming = false
        /// Its reader going away cancels it (MCP 2026-07-28: closing the stream is the cancellation).
        var cancelOnDetach = false
        var onSettled: @Sendable () -> Void
    }

    private struct Entry {
        var seq: Int
        var stream: String
        var bytes: [UInt8]
        var final: Bool
    }

    private struct State {
        var nextRequest = 1
        var nextAttachment = 1
        var nextSeq = 1
        var waiters: [String: Waiter] = [:]
        var byClientId: [RawJSON: String] = [:]
        var standalone: AsyncStream<Outgoing>.Continuation?
        var standaloneGeneration = 0
        /// Standalone messages no stream has carried yet, oldest first.
        var undelivered: [(bytes: [UInt8], isRequest: Bool)] = []
        var replay: [Entry] = []
        var replayBytes = 0
        var closed = false
    }

    static let standaloneStream = "g"
    let replayLimit: Int
    let replayByteLimit: Int
    let undeliveredLimit: Int
    private let state = Mutex(State())
    /// Told the internal id of a request whose reader went away and that is cancelled with it.
    private let abandoned = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Sets what cancels an abandoned request in the session (``register(_:canStream:cancelOnDetach:onSettled:)``).
    func onAbandoned(_ handler: @escaping @Sendable (String) -> Void) {
        abandoned.withLock { $0 = handler }
    }

    init(replayLimit: Int = 512, replayByteLimit: Int = 8 * 1024 * 1024, undeliveredLimit: Int = 256) {
        self.replayLimit = replayLimit
        self.replayByteLimit = replayByteLimit
        self.undeliveredLimit = undeliveredLimit
    }

    /// Requests waiting for their answer.
    var pendingCount: Int { state.withLock { $0.waiters.count } }

    /// Whether a stream is open (the standalone one, or a POST's).
    var hasOpenStream: Bool {
        state.withLock { state in
            state.standalone != nil || state.waiters.values.contains { $0.continuation != nil }
        }
    }

    // MARK: - From the client

    /// Registers a client request: returns it with internal id (and progress token), and the
    /// stream its POST reads. `onSettled` runs once, when it is answered, cancelled or abandoned.
    func register(
        _ request: JSONRPCMessage, canStream: Bool, cancelOnDetach: Bool = false,
        onSettled: @escaping @Sendable () -> Void = {}
    ) throws(RegistrationError) -> Registration {
        guard let clientId = request.id else { throw .duplicate }
        let (stream, continuation) = AsyncStream<Outgoing>.makeStream()
        let result = state.withLock { state -> Result<String, RegistrationError> in
            guard !state.closed else { return .failure(.closed) }
            guard state.byClientId[clientId] == nil else { return .failure(.duplicate) }
            let internalId = "j\(state.nextRequest)"
            state.nextRequest += 1
            state.byClientId[clientId] = internalId
            state.waiters[internalId] = Waiter(
                clientId: clientId, clientToken: request.params?["_meta"]?["progressToken"],
                continuation: continuation, attachment: 0, canStream: canStream, cancelOnDetach: cancelOnDetach,
                onSettled: onSettled)
            // Server messages that found no stream ride on the first one that can carry them.
            if canStream, state.standalone == nil, state.undelivered.contains(where: \.isRequest) {
                let flushed = state.undelivered.filter(\.isRequest).map(\.bytes)
                state.undelivered.removeAll { $0.isRequest }
                state.waiters[internalId]?.streaming = true
                for bytes in flushed {
                    let id = Self.record(&state, stream: internalId, bytes: bytes, final: false, limits: limits)
                    continuation.yield(Outgoing(eventId: id, bytes: bytes, final: false))
                }
            }
            return .success(internalId)
        }
        let internalId: String
        switch result {
        case .success(let value): internalId = value
        case .failure(let error):
            continuation.finish()
            throw error
        }
        continuation.onTermination = { [weak self] _ in self?.detach(internalId, attachment: 0) }
        var message = request
        message.id = RawJSON(string: internalId)
        if let params = request.params, let meta = params["_meta"], meta["progressToken"] != nil,
            let newMeta = meta.setting("progressToken", to: RawJSON(string: internalId))
        {
            message.params = params.setting("_meta", to: newMeta) ?? params
        }
        return Registration(message: message, stream: stream, internalId: internalId)
    }

    /// A client notification with the ids it names mapped to internal ones
    /// (`notifications/cancelled`); a cancelled request's POST ends without an answer.
    func inbound(_ notification: JSONRPCMessage) -> JSONRPCMessage {
        guard notification.method == "notifications/cancelled", let params = notification.params,
            let clientId = params["requestId"]
        else { return notification }
        let settled = state.withLock { state -> (String, Waiter)? in
            guard let internalId = state.byClientId.removeValue(forKey: clientId),
                let waiter = state.waiters.removeValue(forKey: internalId)
            else { return nil }
            return (internalId, waiter)
        }
        guard let (internalId, waiter) = settled else { return notification }
        waiter.continuation?.finish()
        waiter.onSettled()
        var message = notification
        message.params = params.setting("requestId", to: RawJSON(string: internalId)) ?? params
        return message
    }

    // MARK: - From the session

    /// One line the session wrote (newline included).
    func deliver(_ line: [UInt8]) {
        var bytes = line
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        guard case .success(let message) = JSONRPCMessage.parse(bytes) else { return }
        switch message.kind {
        case .response, .errorResponse:
            if let internalId = message.id?.stringValue, answer(internalId, message) { return }
        case .notification:
            if let internalId = Self.streamOf(notification: message), forward(internalId, message) { return }
        case .request:
            broadcast(bytes, isRequest: true)
            return
        }
        broadcast(bytes)
    }

    /// Which request's stream a notification belongs to: progress by its token, a subscription's
    /// notifications by their subscription id.
    private static func streamOf(notification: JSONRPCMessage) -> String? {
        if notification.method == "notifications/progress" {
            return notification.params?["progressToken"]?.stringValue
        }
        return notification.params?["_meta"]?[MCPProtocol.Meta.subscriptionId]?.stringValue
    }

    private var limits: (count: Int, bytes: Int) { (replayLimit, replayByteLimit) }

    private func answer(_ internalId: String, _ message: JSONRPCMessage) -> Bool {
        let settled = state.withLock { state -> Waiter? in
            guard let waiter = state.waiters.removeValue(forKey: internalId) else { return nil }
            state.byClientId[waiter.clientId] = nil
            var answer = message
            answer.id = waiter.clientId
            if let result = answer.result {
                answer.result = Self.restoringSubscription(result, internalId: internalId, clientId: waiter.clientId)
            }
            let bytes = answer.encoded()
            var eventId: String?
            if waiter.streaming {
                eventId = Self.record(&state, stream: internalId, bytes: bytes, final: true, limits: limits)
            }
            waiter.continuation?.yield(Outgoing(eventId: eventId, bytes: bytes, final: true))
            return waiter
        }
        guard let settled else { return false }
        // Finished outside the lock: finishing runs the stream's termination handler at once.
        settled.continuation?.finish()
        settled.onSettled()
        return true
    }

    /// A notification of one request: on that request's stream, with the client's progress token
    /// or subscription id restored; when its POST cannot stream, restored and sent as any other
    /// message. False when the request is unknown (answered already).
    private func forward(_ internalId: String, _ message: JSONRPCMessage) -> Bool {
        let unstreamable = state.withLock { state -> [UInt8]?? in
            guard var waiter = state.waiters[internalId] else { return .none }
            var note = message
            if let params = note.params {
                if note.method == "notifications/progress", let token = waiter.clientToken {
                    note.params = params.setting("progressToken", to: token) ?? params
                } else {
                    note.params = Self.restoringSubscription(params, internalId: internalId, clientId: waiter.clientId)
                }
            }
            let bytes = note.encoded()
            guard waiter.canStream else { return .some(bytes) }
            waiter.streaming = true
            state.waiters[internalId] = waiter
            let eventId = Self.record(&state, stream: internalId, bytes: bytes, final: false, limits: limits)
            waiter.continuation?.yield(Outgoing(eventId: eventId, bytes: bytes, final: false))
            return .some(nil)
        }
        switch unstreamable {
        case .none: return false
        case .some(.none): return true
        case .some(.some(let bytes)):
            broadcast(bytes)
            return true
        }
    }

    /// A message for no request in particular: the standalone stream, else a streaming POST,
    /// else kept for the next stream.
    private func broadcast(_ bytes: [UInt8], isRequest: Bool = false) {
        state.withLock { state in
            if let standalone = state.standalone {
                let eventId = Self.record(
                    &state, stream: Self.standaloneStream, bytes: bytes, final: false, limits: limits)
                standalone.yield(Outgoing(eventId: eventId, bytes: bytes, final: false))
                return
            }
            // A server request (sampling, roots) needs an answer now: a streaming POST carries it.
            // Notifications wait for the standalone stream, so unrelated answers stay plain JSON.
            let carrier =
                !isRequest
                ? nil
                : state.waiters.filter { $0.value.continuation != nil && $0.value.canStream }
                    .max { Self.number($0.key) < Self.number($1.key) }?.key
            if let carrier, let continuation = state.waiters[carrier]?.continuation {
                state.waiters[carrier]?.streaming = true
                let eventId = Self.record(&state, stream: carrier, bytes: bytes, final: false, limits: limits)
                continuation.yield(Outgoing(eventId: eventId, bytes: bytes, final: false))
                return
            }
            state.undelivered.append((bytes, isRequest))
            if state.undelivered.count > undeliveredLimit { state.undelivered.removeFirst() }
        }
    }

    // MARK: - Streams

    /// Opens the standalone stream (`GET /mcp`), replacing one already open. With `lastEventId`,
    /// first replays what followed that event on its stream; resuming a POST's stream ends with
    /// that request's answer (or stays open for it while it is pending).
    func openStream(lastEventId: String?) -> AsyncStream<Outgoing> {
        let (stream, continuation) = AsyncStream<Outgoing>.makeStream()
        let resumed = lastEventId.flatMap(Self.parseEventId)
        enum Opened {
            case ended
            case standalone(replaced: AsyncStream<Outgoing>.Continuation?, generation: Int)
            case resumed(request: String, attachment: Int, replaced: AsyncStream<Outgoing>.Continuation?)
        }
        let opened = state.withLock { state -> Opened in
            if state.closed { return .ended }
            if let (stream, seq) = resumed {
                var ended = false
                for entry in state.replay where entry.stream == stream && entry.seq > seq {
                    continuation.yield(
                        Outgoing(eventId: "\(entry.stream)-\(entry.seq)", bytes: entry.bytes, final: entry.final))
                    ended = ended || entry.final
                }
                if stream != Self.standaloneStream {
                    guard !ended, var waiter = state.waiters[stream] else { return .ended }
                    // The POST's stream continues here, to its answer.
                    let replaced = waiter.continuation
                    waiter.continuation = continuation
                    waiter.attachment = state.nextAttachment
                    waiter.streaming = true
                    state.nextAttachment += 1
                    state.waiters[stream] = waiter
                    return .resumed(request: stream, attachment: waiter.attachment, replaced: replaced)
                }
            }
            let replaced = state.standalone
            state.standalone = continuation
            state.standaloneGeneration += 1
            for (bytes, _) in state.undelivered {
                let eventId = Self.record(
                    &state, stream: Self.standaloneStream, bytes: bytes, final: false, limits: limits)
                continuation.yield(Outgoing(eventId: eventId, bytes: bytes, final: false))
            }
            state.undelivered.removeAll()
            return .standalone(replaced: replaced, generation: state.standaloneGeneration)
        }
        // Finished, and handlers set, outside the lock: a termination handler may run at once.
        switch opened {
        case .ended:
            continuation.finish()
        case .standalone(let replaced, let generation):
            replaced?.finish()
            continuation.onTermination = { [weak self] _ in
                self?.state.withLock { state in
                    if state.standaloneGeneration == generation { state.standalone = nil }
                }
            }
        case .resumed(let request, let attachment, let replaced):
            replaced?.finish()
            continuation.onTermination = { [weak self] _ in self?.detach(request, attachment: attachment) }
        }
        return stream
    }

    /// A stream lost its reader (the client went away): its messages are kept for a resumption;
    /// the request goes on.
    private func detach(_ internalId: String, attachment: Int) {
        let cancelled = state.withLock { state -> Waiter? in
            guard let waiter = state.waiters[internalId], waiter.attachment == attachment else { return nil }
            guard waiter.cancelOnDetach else {
                state.waiters[internalId]?.continuation = nil
                return nil
            }
            state.waiters[internalId] = nil
            state.byClientId[waiter.clientId] = nil
            return waiter
        }
        guard let cancelled else { return }
        cancelled.onSettled()
        abandoned.withLock { $0 }?(internalId)
    }

    /// Ends every stream; requests still waiting get `reason` as their error.
    func close(reason: String) {
        let (waiters, standalone) = state.withLock { state -> ([Waiter], AsyncStream<Outgoing>.Continuation?) in
            state.closed = true
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            state.byClientId.removeAll()
            defer { state.standalone = nil }
            return (waiters, state.standalone)
        }
        for waiter in waiters {
            let error = JSONRPCMessage.errorResponse(
                id: waiter.clientId, code: JSONRPCErrorCode.internalError, message: reason)
            waiter.continuation?.yield(Outgoing(eventId: nil, bytes: error.encoded(), final: true))
            waiter.continuation?.finish()
            waiter.onSettled()
        }
        standalone?.finish()
    }

    // MARK: - Helpers

    private static func record(
        _ state: inout State, stream: String, bytes: [UInt8], final: Bool, limits: (count: Int, bytes: Int)
    ) -> String {
        let seq = state.nextSeq
        state.nextSeq += 1
        state.replay.append(Entry(seq: seq, stream: stream, bytes: bytes, final: final))
        state.replayBytes += bytes.count
        var drop = 0
        while state.replay.count - drop > limits.count
            || (state.replayBytes > limits.bytes && state.replay.count - drop > 1)
        {
            state.replayBytes -= state.replay[drop].bytes.count
            drop += 1
        }
        if drop > 0 { state.replay.removeFirst(drop) }
        return "\(stream)-\(seq)"
    }

    static func parseEventId(_ text: String) -> (String, Int)? {
        guard let dash = text.lastIndex(of: "-"), let seq = Int(text[text.index(after: dash)...]) else { return nil }
        let stream = String(text[..<dash])
        guard stream == standaloneStream || number(stream) > 0 else { return nil }
        return (stream, seq)
    }

    private static func number(_ internalId: String) -> Int {
        Int(internalId.dropFirst()) ?? 0
    }

    /// `_meta[subscriptionId]` as the client named it.
    private static func restoringSubscription(_ object: RawJSON, internalId: String, clientId: RawJSON) -> RawJSON {
        guard let meta = object["_meta"], meta[MCPProtocol.Meta.subscriptionId]?.stringValue == internalId,
            let newMeta = meta.setting(MCPProtocol.Meta.subscriptionId, to: clientId)
        else { return object }
        return object.setting("_meta", to: newMeta) ?? object
    }
}
