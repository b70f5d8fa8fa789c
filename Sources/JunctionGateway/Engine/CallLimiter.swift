import Foundation
import Synchronization

/// Caps on the tool calls running at once, per server (setting `max_concurrent_calls`, a server's
/// own `max_concurrent_calls` overriding it) and per client key (`max_concurrent_calls_per_key`).
///
/// A call that finds its server or its key at the cap waits in line; when more calls than
/// `max_queued_calls` already wait for the same server (or key), it is refused at once with a
/// reason the model can read. A call runs only once it holds a place under both caps, taken
/// together (never one while waiting for the other, so two caps cannot deadlock), and waiting
/// calls are let in in arrival order. Cancelling a waiting call takes it out of the line.
public final class CallLimiter: Sendable {
    public struct Limits: Sendable, Equatable {
        /// Calls a server runs at once unless it sets its own (0: no cap).
        public var perServer = 0
        /// Calls a client key runs at once (0: no cap).
        public var perKey = 0
        /// Calls that may wait for one server or one key.
        public var maxQueued = 64

        public init(perServer: Int = 0, perKey: Int = 0, maxQueued: Int = 64) {
            self.perServer = perServer
            self.perKey = perKey
            self.maxQueued = maxQueued
        }
    }

    /// Why a call was refused: its line was full.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Subject: Sendable, Equatable {
            case server(String)
            case key(String)
        }

        public var subject: Subject
        public var cap: Int
        public var queued: Int

        public var description: String {
            switch subject {
            case .server(let name):
                "Junction: server '\(name)' is at its cap of \(cap) tool calls at once (max_concurrent_calls) "
                    + "and \(queued) more are waiting (max_queued_calls). Try again when calls have finished."
            case .key(let key):
                "Junction: client key '\(key)' is at its cap of \(cap) tool calls at once "
                    + "(max_concurrent_calls_per_key) and \(queued) more are waiting (max_queued_calls). "
                    + "Try again when calls have finished."
            }
        }
    }

    /// A place under the caps, held while the call runs; `release()` gives it back (once).
    public final class Permit: Sendable {
        private let action: Mutex<(@Sendable () -> Void)?>

        init(_ action: @escaping @Sendable () -> Void) {
            self.action = Mutex(action)
        }

        public func release() {
            let pending = action.withLock { action -> (@Sendable () -> Void)? in
                defer { action = nil }
                return action
            }
            pending?()
        }

        deinit { release() }
    }

    private struct Waiter {
        var id: Int
        var server: String
        /// The server's own cap (nil: the setting, as it stands when places free up).
        var ownCap: Int?
        var key: String
        var continuation: CheckedContinuation<Void, any Error>
    }

    private enum Admission {
        case take
        case wait
        case refuse(Refusal)
    }

    private struct State {
        var limits = Limits()
        var byServer: [String: Int] = [:]
        var byKey: [String: Int] = [:]
        var waiting: [Waiter] = []
        var nextId = 0

        func fits(server: String, serverCap: Int, key: String, keyCap: Int) -> Bool {
            (serverCap == 0 || byServer[server, default: 0] < serverCap)
                && (keyCap == 0 || byKey[key, default: 0] < keyCap)
        }

        /// Whether a call may run now, must wait in line, or is refused (the line is full). It waits
        /// when at a cap, or behind calls already waiting under one.
        func admission(server: String, serverName: String, ownCap: Int?, key: String) -> Admission {
            let serverCap = ownCap ?? limits.perServer
            let keyCap = limits.perKey
            let queuedForServer = serverCap > 0 ? waiting.count { $0.server == server } : 0
            let queuedForKey = keyCap > 0 ? waiting.count { $0.key == key } : 0
            let serverBound = serverCap > 0 && (byServer[server, default: 0] >= serverCap || queuedForServer > 0)
            let keyBound = keyCap > 0 && (byKey[key, default: 0] >= keyCap || queuedForKey > 0)
            if !serverBound && !keyBound { return .take }
            if serverBound, queuedForServer >= limits.maxQueued {
                return .refuse(Refusal(subject: .server(serverName), cap: serverCap, queued: queuedForServer))
            }
            if keyBound, queuedForKey >= limits.maxQueued {
                return .refuse(Refusal(subject: .key(key), cap: keyCap, queued: queuedForKey))
            }
            return .wait
        }

        mutating func take(server: String, key: String) {
            byServer[server, default: 0] += 1
            byKey[key, default: 0] += 1
        }

        mutating func give(server: String, key: String) {
            byServer[server] = byServer[server].flatMap { $0 > 1 ? $0 - 1 : nil }
            byKey[key] = byKey[key].flatMap { $0 > 1 ? $0 - 1 : nil }
        }

        /// Lets in the waiting calls that now fit, in arrival order; returns their continuations.
        mutating func admit() -> [CheckedContinuation<Void, any Error>] {
            var admitted: [CheckedContinuation<Void, any Error>] = []
            var index = 0
            while index < waiting.count {
                let waiter = waiting[index]
                let serverCap = waiter.ownCap ?? limits.perServer
                if fits(server: waiter.server, serverCap: serverCap, key: waiter.key, keyCap: limits.perKey) {
                    take(server: waiter.server, key: waiter.key)
                    admitted.append(waiter.continuation)
                    waiting.remove(at: index)
                } else {
                    index += 1
                }
            }
            return admitted
        }
    }

    private let state = Mutex(State())

    public init() {}

    public var limits: Limits {
        get { state.withLock { $0.limits } }
        set {
            let admitted = state.withLock { state in
                state.limits = newValue
                return state.admit()
            }
            for continuation in admitted { continuation.resume() }
        }
    }

    /// Calls running now for a server (by id) and a key.
    public func running(server: String) -> Int { state.withLock { $0.byServer[server, default: 0] } }
    public func running(key: String) -> Int { state.withLock { $0.byKey[key, default: 0] } }
    /// Calls waiting now for a server (by id).
    public func waiting(server: String) -> Int { state.withLock { $0.waiting.count { $0.server == server } } }

    /// Waits for a place under the caps of `server` (its id; `serverName` for messages) and `key`.
    /// `serverCap` is the server's own cap, nil to follow the setting. Throws ``Refusal`` when
    /// the line is full, `CancellationError` when the task is cancelled while it waits.
    public func acquire(server: String, serverName: String, serverCap ownCap: Int?, key: String) async throws -> Permit
    {
        // A place free now (always, without caps) is taken without suspending.
        let first = state.withLock { state -> Admission in
            let admission = state.admission(server: server, serverName: serverName, ownCap: ownCap, key: key)
            if case .take = admission { state.take(server: server, key: key) }
            return admission
        }
        switch first {
        case .take: return Permit { [weak self] in self?.release(server: server, key: key) }
        case .refuse(let refusal): throw refusal
        case .wait: break
        }
        let id = state.withLock { state -> Int in
            defer { state.nextId += 1 }
            return state.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = self.state.withLock { state -> Admission in
                    if Task.isCancelled { return .wait }
                    let admission = state.admission(
                        server: server, serverName: serverName, ownCap: ownCap, key: key)
                    switch admission {
                    case .take: state.take(server: server, key: key)
                    case .wait:
                        state.waiting.append(
                            Waiter(id: id, server: server, ownCap: ownCap, key: key, continuation: continuation))
                    case .refuse: break
                    }
                    return admission
                }
                switch outcome {
                case .take: continuation.resume()
                case .refuse(let refusal): continuation.resume(throwing: refusal)
                // Cancelled before it joined the line; otherwise resumed when let in or cancelled.
                case .wait where Task.isCancelled: continuation.resume(throwing: CancellationError())
                case .wait: break
                }
            }
        } onCancel: {
            let waiter = self.state.withLock { state -> Waiter? in
                guard let index = state.waiting.firstIndex(where: { $0.id == id }) else { return nil }
                return state.waiting.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
        return Permit { [weak self] in self?.release(server: server, key: key) }
    }

    private func release(server: String, key: String) {
        let admitted = state.withLock { state in
            state.give(server: server, key: key)
            return state.admit()
        }
        for continuation in admitted { continuation.resume() }
    }
}
