import Synchronization

/// Whether a server's catalog is being re-discovered after it said its lists changed, so a
/// client listing right then (typically right after the call that changed them) gets the new
/// lists rather than the old ones. Waiting is bounded by `patience` from the change: a
/// re-discovery that fails or never comes costs one short wait, not every list.
final class CatalogFreshness: Sendable {
    static let patience: Duration = .seconds(1)

    private struct State {
        var staleUntil: ContinuousClock.Instant?
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    /// The server said a list changed (called on the connection's reader, before the response
    /// that follows it is delivered).
    func markStale() {
        state.withLock { $0.staleUntil = .now + Self.patience }
    }

    /// Re-discovery ended (with the new catalog, or failing): whoever waits goes on.
    func markFresh() {
        let waiters = state.withLock { state in
            state.staleUntil = nil
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns at once unless a re-discovery is under way; then when it ends or the patience runs out.
    func awaitFresh() async {
        guard let until = state.withLock({ $0.staleUntil }), until > .now else { return }
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        // Bound: releases the waiter when the patience runs out; cancelled once it is released.
        let timer = Task { [self] in
            try? await Task.sleep(until: until, clock: .continuous)
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
        defer { timer.cancel() }
        await withCheckedContinuation { continuation in
            let waits = state.withLock { state -> Bool in
                guard let until = state.staleUntil, until > .now else { return false }
                state.waiters[id] = continuation
                return true
            }
            if !waits { continuation.resume() }
        }
    }
}
