import Foundation
import Synchronization

/// A task executor with threads of its own, for code that calls the synchronous database API.
///
/// Swift's cooperative pool has one thread per core. A thread blocked there (waiting for a
/// SQLite reader connection, say) is a core's worth of every task in the process gone; two of
/// them on a two-core machine stop everything, including the tasks that would have released the
/// connections they wait for. Work that may block prefers this executor instead
/// (`withTaskExecutorPreference(database.executor) { … }`): it blocks one of these threads,
/// sized apart from the pool, and never the pool.
public final class BlockingExecutor: TaskExecutor, Sendable {
    private struct Queue {
        var jobs: [UnownedJob] = []
        var head = 0
        var stopped = false
    }

    /// The jobs; read and changed only while `wakeUp` is locked too, so a worker that finds it
    /// empty and waits cannot miss the signal of a job added meanwhile.
    private let queue = Mutex(Queue())
    /// Where idle workers wait for a job.
    private let wakeUp = NSCondition()
    /// The number of threads: the most jobs that can be blocked at once.
    public let threadCount: Int
    public let name: String

    public init(name: String, threads: Int) {
        self.name = name
        self.threadCount = max(1, threads)
        for index in 0..<threadCount {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        wakeUp.lock()
        queue.withLock { $0.jobs.append(job) }
        wakeUp.signal()
        wakeUp.unlock()
    }

    /// Jobs waiting for a thread (for metrics and the watchdog).
    public var backlog: Int {
        queue.withLock { $0.jobs.count - $0.head }
    }

    /// Lets the threads finish once no job is left; jobs enqueued later still run.
    public func shutdown() {
        wakeUp.lock()
        queue.withLock { $0.stopped = true }
        wakeUp.broadcast()
        wakeUp.unlock()
    }

    private func work() {
        BlockingAllowed.markCurrentThread()
        while let job = next() {
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    private func next() -> UnownedJob? {
        wakeUp.lock()
        defer { wakeUp.unlock() }
        while true {
            let taken = queue.withLock { queue -> UnownedJob?? in
                guard queue.head < queue.jobs.count else { return queue.stopped ? .some(nil) : nil }
                let job = queue.jobs[queue.head]
                queue.head += 1
                if queue.head > 1024, queue.head * 2 > queue.jobs.count {
                    queue.jobs.removeFirst(queue.head)
                    queue.head = 0
                }
                return .some(job)
            }
            if let taken { return taken }
            wakeUp.wait()  // blocking-ok: one of this executor's own threads, never the pool
        }
    }
}

/// Which threads may block: threads Junction started itself (this executor's, a session's or a
/// downstream's reader thread) and any thread that runs no task. A synchronous database call made
/// from a task on any other thread — Swift's cooperative pool — is counted and logged, so a test
/// under load can prove there are none.
public enum BlockingAllowed {
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    private static let counter = Mutex(0)

    /// Marks the calling thread as one of Junction's own, free to block.
    public static func markCurrentThread() {
        pthread_setspecific(key, UnsafeRawPointer(bitPattern: 1))
    }

    /// Whether the calling thread may block: one of Junction's own, or not running a task.
    public static var isAllowedHere: Bool {
        if pthread_getspecific(key) != nil { return true }
        return withUnsafeCurrentTask { $0 == nil }
    }

    /// How many blocking database calls were made from tasks on threads that must not block.
    public static var violations: Int { counter.withLock { $0 } }

    /// Where the first violations are reported (the daemon logs them); unset, they are only
    /// counted — tests call repositories from their own tasks on purpose.
    public static func report(to reporter: (@Sendable (String) -> Void)?) {
        reporterBox.withLock { $0 = reporter }
    }

    private static let reporterBox = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Called by the synchronous database API: counts (and reports, the first few times) a call
    /// that blocks a thread of the cooperative pool.
    static func check(_ what: StaticString, file: StaticString = #fileID, line: UInt = #line) {
        guard !isAllowedHere else { return }
        let count = counter.withLock { count in
            count += 1
            return count
        }
        guard count <= 20, let reporter = reporterBox.withLock({ $0 }) else { return }
        reporter(
            "blocking database \(what) on a thread of Swift's cooperative pool (\(file):\(line)); "
                + "it belongs on the database executor")
    }
}
