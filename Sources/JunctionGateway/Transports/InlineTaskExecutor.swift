import JunctionStore

/// A task executor that runs a job right away on the thread that makes it runnable: the thread
/// that starts the task, or the one that resumes it (the event loop of a downstream's stdout,
/// delivering the answer it waits for).
///
/// A `tools/call` mostly waits for its downstream. Started and resumed on the cooperative pool,
/// it costs two thread hand-offs per call (client reader → pool, downstream reader → pool), each
/// a wake-up that, on a busy machine, waits for a core. Preferring this executor, the call is
/// routed and forwarded on the client's reader thread and answered on the downstream's event loop
/// (where its next write to a downstream goes out at once, without a hop).
///
/// Only for work that never blocks and resumes no continuation while holding a lock (the job
/// would run under it, and an event loop must never block): slow steps (approval, starting a
/// server, a first listing) leave it with ``runOnPool(_:)``.
final class InlineTaskExecutor: TaskExecutor {
    static let shared = InlineTaskExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        job.runSynchronously(on: asUnownedTaskExecutor())
    }

    /// Runs `operation` on the database executor, whatever executor the task prefers: the slow
    /// steps read and write the database synchronously, which must not block the cooperative
    /// pool (see ``BlockingExecutor``), nor a reader thread (it would stall its session).
    static func runOnPool<T: Sendable, Failure: Error>(
        _ operation: () async throws(Failure) -> T
    ) async throws(Failure) -> T {
        try await withTaskExecutorPreference(AppDatabase.executor, operation: operation)
    }
}
