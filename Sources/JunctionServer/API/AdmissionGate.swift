import Synchronization

/// Admits at most `running` pieces of one kind of work at once and lets at most `waiting` more
/// wait their turn; past that, ``enter()`` refuses at once rather than queueing without bound.
///
/// The admin API sends its heavy reads (the dashboard, audit pages and exports, tool search)
/// through one, so a dashboard tab per user and a script polling the audit trail cannot take
/// every database connection and thread: the rest of the API keeps answering, and the excess is
/// told to come back (503 with `Retry-After`) instead of waiting forever.
public final class AdmissionGate: Sendable {
    public let running: Int
    public let waiting: Int

    private struct State {
        var active = 0
        var queue: [CheckedContinuation<Void, Never>] = []
        var refused = 0
    }

    private let state = Mutex(State())

    public init(running: Int, waiting: Int) {
        self.running = max(1, running)
        self.waiting = max(0, waiting)
    }

    /// Work admitted now, queued, and refused so far (for `/metrics`).
    public var counts: (active: Int, queued: Int, refused: Int) {
        state.withLock { ($0.active, $0.queue.count, $0.refused) }
    }

    /// Waits for a slot; `false` when the queue is full (nothing was taken: do not ``leave()``).
    public func enter() async -> Bool {
        enum Admission { case now, full, queue }
        let admission = state.withLock { state -> Admission in
            if state.active < running {
                state.active += 1
                return .now
            }
            if state.queue.count >= waiting {
                state.refused += 1
                return .full
            }
            return .queue
        }
        switch admission {
        case .now: return true
        case .full: return false
        case .queue: break
        }
        await withCheckedContinuation { continuation in
            // Re-checked under the lock: a slot may have been freed since the first look.
            let admitted = state.withLock { state -> Bool in
                if state.active < running {
                    state.active += 1
                    return true
                }
                state.queue.append(continuation)
                return false
            }
            if admitted { continuation.resume() }
        }
        return true
    }

    /// Frees a slot, handing it to the longest waiter if there is one.
    public func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if state.queue.isEmpty {
                state.active -= 1
                return nil
            }
            return state.queue.removeFirst()  // the slot passes to it: `active` is unchanged
        }
        next?.resume()
    }

    /// Runs `work` in a slot, or returns `nil` at once when the gate is full.
    public func run<T>(_ work: () async throws -> T) async throws -> T? {
        guard await enter() else { return nil }
        defer { leave() }
        return try await work()
    }
}
