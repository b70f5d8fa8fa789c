import JunctionCore
import Synchronization

/// A modern client's request to a handshake-era server that may ask the client for input the old
/// way (a server-to-client request such as `elicitation/create`). The modern client cannot take
/// such requests: Junction answers its request with an `InputRequiredResult` instead, keeps the
/// server's request waiting here, and answers it when the client retries with its input. The
/// call to the server runs on in its own task meanwhile.
final class InputExchange: Sendable {
    enum Event: Sendable {
        /// The server asks the client something; `reply` answers the server.
        case input(JSONRPCMessage, reply: @Sendable (JSONRPCMessage) -> Void)
        /// The server answered the client's request (or the call failed).
        case done(Result<JSONRPCMessage, any Error>)
    }

    private struct State {
        var events: [Event] = []
        var waiter: CheckedContinuation<Event, Never>?
        /// The server's request waiting for the client's retry, and how to answer it.
        var parked: (request: JSONRPCMessage, reply: @Sendable (JSONRPCMessage) -> Void)?
        var call: Task<Void, Never>?
        var expiry: Task<Void, Never>?
        var finished = false
    }

    let id = ULID.make()
    let downstreamId: String
    private let state = Mutex(State())

    init(downstreamId: String) {
        self.downstreamId = downstreamId
    }

    /// Starts the call to the server; its outcome becomes the last event.
    func start(_ call: @escaping @Sendable () async throws -> JSONRPCMessage) {
        // Kept in state.call: cancelled by cancel(); ends with the server's answer.
        let task = Task { [self] in
            let outcome: Result<JSONRPCMessage, any Error>
            do { outcome = .success(try await call()) } catch { outcome = .failure(error) }
            push(.done(outcome))
        }
        state.withLock { $0.call = task }
    }

    var isParked: Bool { state.withLock { $0.parked != nil } }
    var isFinished: Bool { state.withLock { $0.finished } }

    func push(_ event: Event) {
        let waiter = state.withLock { state -> CheckedContinuation<Event, Never>? in
            if case .done = event { state.finished = true }
            guard let waiter = state.waiter else {
                state.events.append(event)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: event)
    }

    /// The next thing that happens: a question from the server or its answer. Cancelling the
    /// waiting task cancels the whole exchange (the client withdrew its request).
    func next() async -> Event {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state -> Event? in
                    if !state.events.isEmpty { return state.events.removeFirst() }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            cancel()
        }
    }

    /// Keeps the server's request until the client retries (or `timeout` passes: then the whole
    /// exchange is cancelled, the server's request answered with an error).
    func park(_ request: JSONRPCMessage, reply: @escaping @Sendable (JSONRPCMessage) -> Void, timeout: Duration) {
        // Kept in state.expiry: cancelled when the client retries; ends by itself.
        let expiry = Task { [self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            cancel()
        }
        state.withLock { state in
            state.parked = (request, reply)
            state.expiry?.cancel()
            state.expiry = expiry
        }
    }

    /// The parked request, taken out to be answered (nil if none is waiting).
    func unpark() -> (request: JSONRPCMessage, reply: @Sendable (JSONRPCMessage) -> Void)? {
        state.withLock { state in
            state.expiry?.cancel()
            state.expiry = nil
            defer { state.parked = nil }
            return state.parked
        }
    }

    /// The parked request, left waiting (to ask the client again).
    var parkedRequest: JSONRPCMessage? { state.withLock { $0.parked?.request } }

    /// Ends the exchange: the server's waiting request gets an error, the call is cancelled.
    func cancel() {
        let (parked, queued, call, expiry, waiter) = state.withLock { state in
            defer {
                state.parked = nil
                state.waiter = nil
                state.events.removeAll()
                state.finished = true
            }
            return (state.parked, state.events, state.call, state.expiry, state.waiter)
        }
        var questions = parked.map { [$0] } ?? []
        for case .input(let request, let reply) in queued { questions.append((request, reply)) }
        for (request, reply) in questions {
            reply(
                .errorResponse(
                    id: request.id, code: JSONRPCErrorCode.requestCancelled,
                    message: "the client did not answer (its request was withdrawn or expired)"))
        }
        call?.cancel()
        expiry?.cancel()
        waiter?.resume(returning: .done(.failure(CancellationError())))
    }
}

/// True for the first caller of `claim()` only (a continuation must resume exactly once).
final class OnceFlag: Sendable {
    private let claimed = Atomic<Bool>(false)

    func claim() -> Bool {
        !claimed.exchange(true, ordering: .acquiringAndReleasing)
    }
}
