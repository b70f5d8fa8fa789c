import Dispatch
import Synchronization

/// Runs work in submission order on a serial queue, in batches: work waits up to `delay` (or
/// until `batchSize` items wait) and then runs together, so the calls' bookkeeping (events, audit
/// redaction) costs one thread wake-up per batch instead of one per item, off the calls' path.
final class BatchingQueue: Sendable {
    private struct Pending {
        var work: [@Sendable () -> Void] = []
        var scheduled = false
        var urgent = false
    }

    private let queue: DispatchQueue
    private let delay: DispatchTimeInterval
    private let batchSize: Int
    private let pending = Mutex(Pending())

    init(label: String, delay: DispatchTimeInterval = .milliseconds(5), batchSize: Int = 256) {
        queue = DispatchQueue(label: label)
        self.delay = delay
        self.batchSize = batchSize
    }

    /// Queues `work` and returns at once.
    func async(_ work: @escaping @Sendable () -> Void) {
        enum Schedule {
            case none
            case later
            case now
        }
        let schedule = pending.withLock { pending -> Schedule in
            pending.work.append(work)
            if !pending.scheduled {
                pending.scheduled = true
                return .later
            }
            if pending.work.count >= batchSize && !pending.urgent {
                pending.urgent = true
                return .now
            }
            return .none
        }
        switch schedule {
        case .none: break
        case .later: queue.asyncAfter(deadline: .now() + delay) { [self] in drain() }
        case .now: queue.async { [self] in drain() }
        }
    }

    /// Runs everything submitted before the call, now, and returns when it has run.
    func sync() {
        queue.sync { drain() }
    }

    private func drain() {
        while true {
            let batch = pending.withLock { pending -> [@Sendable () -> Void] in
                let batch = pending.work
                pending.work = []
                pending.urgent = false
                // Nothing left: the next item schedules a turn of its own.
                if batch.isEmpty { pending.scheduled = false }
                return batch
            }
            if batch.isEmpty { return }
            for work in batch { work() }
        }
    }
}
