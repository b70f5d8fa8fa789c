import Synchronization
import Testing

/// Everything something produced, in order, with bounded waits for the element a test expects.
final class Recording<Element: Sendable>: Sendable {
    private struct Waiter {
        var since: Int
        var predicate: @Sendable (Element) -> Bool
        var continuation: CheckedContinuation<Element, any Error>
    }

    private enum Outcome {
        case found(Element)
        case cancelled
        case waiting
    }

    private struct State {
        var elements: [Element] = []
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    func append(_ element: Element) {
        let ready = state.withLock { state -> [CheckedContinuation<Element, any Error>] in
            state.elements.append(element)
            let index = state.elements.count - 1
            let matched = state.waiters.filter { index >= $0.value.since && $0.value.predicate(element) }
            for key in matched.keys { state.waiters[key] = nil }
            return matched.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: element) }
    }

    var elements: [Element] { state.withLock { $0.elements } }

    /// A mark to wait for elements recorded after now.
    var count: Int { state.withLock { $0.elements.count } }

    /// The first element (from `since` on) that matches, waiting for it if needed.
    func first(
        _ what: String, since: Int = 0, seconds: Double = eventBound,
        where predicate: @escaping @Sendable (Element) -> Bool
    ) async throws -> Element {
        try await bounded(what, seconds: seconds) { try await self.wait(since: since, predicate) }
    }

    private func wait(since: Int, _ predicate: @escaping @Sendable (Element) -> Bool) async throws -> Element {
        let key = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = state.withLock { state -> Outcome in
                    if let found = state.elements.dropFirst(since).first(where: predicate) { return .found(found) }
                    if Task.isCancelled { return .cancelled }
                    state.waiters[key] = Waiter(since: since, predicate: predicate, continuation: continuation)
                    return .waiting
                }
                switch outcome {
                case .found(let element): continuation.resume(returning: element)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: key) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
