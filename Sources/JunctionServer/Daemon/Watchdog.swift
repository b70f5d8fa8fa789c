import Foundation
import JunctionStore
import Logging
import NIOCore
import Synchronization

/// Notices when the daemon's own machinery stops making progress, and says so loudly.
///
/// Three heartbeats: a task on Swift's cooperative pool, one job on each NIO event loop, and one
/// on the database executor. A thread of the watchdog's own, which needs none of them, looks once
/// a second: a beat older than ``stallAfter`` is a stall, logged as an error with how to take a
/// thread dump, counted for `/metrics`, and named by `/api/v1/health` (served on the event loop,
/// so it can still say so while the pool is stuck).
public final class Watchdog: Sendable {
    public enum Part: String, Sendable, CaseIterable {
        case cooperativePool = "cooperative_pool"
        case eventLoop = "event_loop"
        case databaseExecutor = "database_executor"
    }

    struct State {
        var beats: [Part: ContinuousClock.Instant] = [:]
        var stalled: Set<Part> = []
        var stalls: [Part: Int] = [:]
        var probing = false
        var running = true
    }

    public let stallAfter: Duration
    private let state = Mutex(State())
    private let logger: Logger

    public init(stallAfter: Duration = .seconds(5), logger: Logger) {
        self.stallAfter = stallAfter
        self.logger = logger
        let now = ContinuousClock.now
        state.withLock { state in
            for part in Part.allCases { state.beats[part] = now }
        }
    }

    /// The parts stalled right now (empty while all is well).
    public var stalled: Set<Part> { state.withLock { $0.stalled } }

    /// Stalls seen since start, by part.
    public var stallCounts: [Part: Int] { state.withLock { $0.stalls } }

    func beat(_ part: Part) {
        state.withLock { $0.beats[part] = .now }
    }

    /// Starts the heartbeats and the watching thread; they run until ``stop()``.
    public func start(eventLoops: any EventLoopGroup) {
        // Cancelled by nothing: it ends when `running` turns false, checked every beat.
        Task.detached { [self] in
            while state.withLock({ $0.running }) {
                beat(.cooperativePool)
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
        for loop in eventLoops.makeIterator() {
            loop.scheduleRepeatedTask(initialDelay: .zero, delay: .milliseconds(500)) { [self] task in
                if !state.withLock({ $0.running }) { task.cancel() }
                beat(.eventLoop)
            }
        }
        let thread = Thread { [self] in watch() }
        thread.name = "junction-watchdog"
        thread.start()
    }

    public func stop() {
        state.withLock { $0.running = false }
    }

    private func watch() {
        BlockingAllowed.markCurrentThread()
        while state.withLock({ $0.running }) {
            probeExecutor()
            check()
            Thread.sleep(forTimeInterval: 1)  // blocking-ok: the watchdog's own thread
        }
    }

    /// One job on the database executor at a time; its beat lands when a thread picks it up.
    private func probeExecutor() {
        let start = state.withLock { state -> Bool in
            if state.probing { return false }
            state.probing = true
            return true
        }
        guard start else { return }
        // Ends as soon as the executor runs it; nothing to cancel.
        Task.detached(executorPreference: AppDatabase.executor) { [self] in
            beat(.databaseExecutor)
            state.withLock { $0.probing = false }
        }
    }

    private func check() {
        let now = ContinuousClock.now
        let (newlyStalled, recovered) = state.withLock { state -> ([(Part, Duration)], [Part]) in
            var newlyStalled: [(Part, Duration)] = []
            var recovered: [Part] = []
            for part in Part.allCases {
                let age = now - (state.beats[part] ?? now)
                if age > stallAfter {
                    if state.stalled.insert(part).inserted {
                        state.stalls[part, default: 0] += 1
                        newlyStalled.append((part, age))
                    }
                } else if state.stalled.remove(part) != nil {
                    recovered.append(part)
                }
            }
            return (newlyStalled, recovered)
        }
        for (part, age) in newlyStalled {
            let seconds = Double(age.components.seconds) + Double(age.components.attoseconds) / 1e18
            logger.error(
                """
                watchdog: the \(part.rawValue.replacingOccurrences(of: "_", with: " ")) has made no progress \
                for \(String(format: "%.1f", seconds)) s: a thread is blocked or spinning. Take a thread dump \
                while it lasts: gdb -p \(getpid()) -batch -ex 'thread apply all bt' > junction-threads.txt
                """)
        }
        for part in recovered {
            logger.warning("watchdog: the \(part.rawValue.replacingOccurrences(of: "_", with: " ")) is moving again")
        }
    }
}
