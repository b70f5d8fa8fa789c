import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A wait that ran past its bound: something hung.
struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

/// The bound for waiting on an event. Generous: it only matters when something hangs, and the
/// machine running the tests may be busy.
let eventBound: Double = 20

/// Runs `body`, failing if it does not finish within `seconds`. `body` must end when cancelled.
func bounded<T: Sendable>(
    _ what: String, seconds: Double = eventBound, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            throw TimedOut(description: "\(what): not within \(seconds) s")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TimedOut(description: what) }
        return first
    }
}

/// Waits until `condition` holds, checking it every few milliseconds, for state that has no event
/// to await (a process gone, a log line written by another process).
func waitUntil(
    _ what: String, seconds: Double = eventBound, _ condition: @escaping @Sendable () async -> Bool
) async throws {
    try await bounded(what, seconds: seconds) {
        while await !condition() {
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Whether no process with this pid exists any more (exited and reaped: a zombie still counts).
func processIsGone(_ pid: Int32) -> Bool {
    kill(pid, 0) == -1 && errno == ESRCH
}
