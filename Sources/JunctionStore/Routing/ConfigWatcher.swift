import Foundation
import GRDB

/// Notices configuration written by any process (the CLI while the daemon runs, a raw `sqlite3`).
///
/// Triggers bump `config_state.generation` on every configuration write, so reading one integer
/// tells whether anything changed. A poll costs one indexed read; at the default 250 ms it keeps
/// the promise of noticing a change within one second.
public struct ConfigWatcher: Sendable {
    public let database: AppDatabase
    public let interval: Duration

    public init(_ database: AppDatabase, interval: Duration = .milliseconds(250)) {
        self.database = database
        self.interval = interval
    }

    /// Yields each new generation as it is seen (not the starting one). Ends when the consuming
    /// task is cancelled; a failed read is retried at the next tick rather than ending the stream.
    public func changes(from start: UInt64? = nil) -> AsyncStream<UInt64> {
        let database = database
        let interval = interval
        return AsyncStream { continuation in
            // Cancelled by onTermination when the consumer stops listening. Its reads are
            // synchronous: on the database executor, never the cooperative pool.
            let task = Task(executorPreference: database.executor) {
                var last = start ?? ((try? database.generation()) ?? 0)
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let current = try? database.generation(), current != last else { continue }
                    last = current
                    continuation.yield(current)
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
