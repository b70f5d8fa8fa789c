import Foundation
import JunctionCore
import Synchronization

/// Writes audit records to the database in batches, off the caller's path.
///
/// ``record(_:)`` never waits: it appends to a bounded in-memory queue and returns, whatever the
/// database is doing. ``run()`` (owned by the caller's task group or service) writes the queue in
/// batches of up to `batchSize` records, as soon as a batch is full or `flushInterval` after the
/// first waiting record, whichever comes first. A failed write is retried on the next tick with
/// the records kept in order; while the database stays unavailable the queue holds at most
/// `capacity` records and drops the oldest beyond that, counting them in ``Stats/dropped``.
/// ``flush()`` writes everything recorded before it was called, for shutdown.
public final class AuditWriter: Sendable {
    /// Counters since the writer was created.
    public struct Stats: Sendable, Hashable {
        /// Records committed to the database.
        public var written: Int
        /// Records dropped because the queue was full.
        public var dropped: Int
        /// Records not yet committed: queued, or in the batch being written.
        public var pending: Int
        /// Records in the batch being written right now (part of `pending`).
        public var inFlight: Int
        /// Batches committed.
        public var batches: Int
        /// Write attempts that failed (their records were kept and retried).
        public var failures: Int
        /// Records recovered from the journal a crashed run left.
        public var recovered: Int = 0

        public init(written: Int, dropped: Int, pending: Int, inFlight: Int, batches: Int, failures: Int) {
            self.written = written
            self.dropped = dropped
            self.pending = pending
            self.inFlight = inFlight
            self.batches = batches
            self.failures = failures
        }
    }

    public static let defaultBatchSize = 500
    public static let defaultFlushInterval: Duration = .milliseconds(100)
    public static let defaultCapacity = 100_000

    /// Called after each committed batch with its records, on the writer's task: keep it short
    /// (hand the records to an event bus, don't do I/O).
    public typealias CommitObserver = @Sendable ([AuditRecord]) -> Void

    public let batchSize: Int
    public let flushInterval: Duration
    public let capacity: Int
    private let repository: AuditRepository
    private let onError: (@Sendable (StoreError) -> Void)?
    private let state: Mutex<State>
    /// Where queued records also go until they are committed, when the writer has one.
    private let journal: AuditJournal?
    private let maxPayloadBytes = Atomic<Int>(AuditPayload.defaultMaxBytes)

    /// - Parameters:
    ///   - onError: told about each failed write attempt (for logging); the records are retried.
    public init(
        repository: AuditRepository,
        batchSize: Int = AuditWriter.defaultBatchSize,
        flushInterval: Duration = AuditWriter.defaultFlushInterval,
        capacity: Int = AuditWriter.defaultCapacity,
        onCommit: CommitObserver? = nil,
        onError: (@Sendable (StoreError) -> Void)? = nil,
        journal: AuditJournal? = nil
    ) {
        self.repository = repository
        self.journal = journal
        self.batchSize = max(batchSize, 1)
        self.flushInterval = flushInterval
        self.capacity = max(capacity, 1)
        self.onError = onError
        state = Mutex(State(capacity: max(capacity, 1), onCommit: onCommit))
    }

    /// Queues a record and returns at once. Its params and error message are cut to the payload
    /// limit first (``setMaxPayloadBytes(_:)``).
    public func record(_ record: AuditRecord) {
        let record = capped(record)
        let waiter = state.withLock { state in
            state.enqueue(record)
            return state.takeWaiterIfSatisfied(batchSize: batchSize)
        }
        // After the enqueue: the journal is emptied only with the queue empty, so this line can
        // outlive its record's commit (harmless: replay skips stored ids), never precede it.
        journal?.append(CollectionOfOne(record))
        waiter?.resume()
    }

    /// Queues several records and returns at once.
    public func record(contentsOf records: some Sequence<AuditRecord>) {
        let records = records.map(capped)
        let waiter = state.withLock { state in
            for record in records { state.enqueue(record) }
            return state.takeWaiterIfSatisfied(batchSize: batchSize)
        }
        journal?.append(records)
        waiter?.resume()
    }

    /// Sets the most bytes of a call's params (and of its error message) a record stores; more is
    /// cut, leaving a marker that says so (setting `audit_max_payload_bytes`, at least 1024).
    public func setMaxPayloadBytes(_ bytes: Int) {
        maxPayloadBytes.store(max(bytes, AuditPayload.minimumMaxBytes), ordering: .relaxed)
    }

    /// The payload limit in force.
    public var payloadLimit: Int { maxPayloadBytes.load(ordering: .relaxed) }

    private func capped(_ record: AuditRecord) -> AuditRecord {
        let limit = payloadLimit
        var record = record
        if let params = record.params, params.utf8.count > limit {
            record.params = AuditPayload.capped(json: params, limit: limit)
        }
        if let message = record.errorMessage, message.utf8.count > limit {
            record.errorMessage = AuditPayload.capped(text: message, limit: limit)
        }
        return record
    }

    public var stats: Stats {
        state.withLock { state in
            var stats = Stats(
                written: state.written, dropped: state.dropped, pending: state.queue.count + state.inFlight,
                inFlight: state.inFlight, batches: state.batches, failures: state.failures)
            stats.recovered = state.recovered
            return stats
        }
    }

    /// Sets (or with nil removes) the callback told about each committed batch, for live tails.
    public func observe(_ observer: CommitObserver?) {
        state.withLock { $0.onCommit = observer }
    }

    /// Writes batches until the task is cancelled, then tries once to write what is left. Run it
    /// once per writer (a second concurrent call returns at once).
    public func run() async {
        let first = state.withLock { state in
            defer { state.running = true }
            return !state.running
        }
        guard first else { return }
        await replayJournal()
        while !Task.isCancelled {
            await waitForRecords(tick: nil)
            if Task.isCancelled { break }
            await waitForBatch()
            if Task.isCancelled { break }
            if await !writeQueued() {
                // Retry on the next tick; the records stay queued (up to the capacity).
                try? await Task.sleep(for: flushInterval)
            }
        }
        if await writeQueued(), state.withLock({ $0.queue.isEmpty }) { journal?.remove() }
        state.withLock { $0.running = false }
    }

    /// Writes every record queued before this call (waiting for a write in progress first).
    /// Returns false when a write failed; those records stay queued for ``run()`` or another flush.
    @discardableResult
    public func flush() async -> Bool {
        await writeQueued()
    }

    // MARK: - Waiting

    /// Waits until a batch is full or one flush interval has passed.
    private func waitForBatch() async {
        let tick = state.withLock { state -> UInt64? in
            guard state.queue.count < batchSize else { return nil }
            state.tick += 1
            return state.tick
        }
        guard let tick else { return }  // a full batch is waiting: no timer needed
        let interval = flushInterval
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await Task.sleep(for: interval)
                self.expire(tick)
            }
            await waitForRecords(tick: tick)
            group.cancelAll()
        }
    }

    /// The interval of `tick` is over: wake its waiter, or let it return at once if it has not
    /// started waiting yet.
    private func expire(_ tick: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.expired = max(state.expired, tick)
            guard state.waiter?.tick == tick else { return nil }
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume()
    }

    /// With `tick` nil: waits until at least one record is queued. With a tick: waits until a
    /// batch is full or the tick expires. Either returns early when the task is cancelled.
    private func waitForRecords(tick: UInt64?) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state -> Bool in
                    // Checked under the lock the cancellation handler takes, so no wake-up is lost.
                    let waiter = State.Waiter(continuation: continuation, tick: tick)
                    if Task.isCancelled || state.isSatisfied(waiter, batchSize: batchSize) { return true }
                    state.waiter = waiter
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter?.continuation
            }
            waiter?.resume()
        }
    }

    // MARK: - Writing

    /// Writes, in batches, the records queued when it starts; stops at the first failure, putting
    /// that batch back at the front. One writer at a time: later callers wait their turn.
    @discardableResult
    private func writeQueued() async -> Bool {
        await acquireWriteTurn()
        let target = state.withLock { $0.enqueued }
        var succeeded = true
        while true {
            let batch = state.withLock { state in
                let batch = state.queue.removeFirst(upTo: batchSize) { $0.sequence < target }
                state.inFlight = batch.count
                return batch
            }
            if batch.isEmpty { break }
            let records = batch.map(\.record)
            do {
                let inserted = try await repository.insert(records)
                let observer = state.withLock { state in
                    state.inFlight = 0
                    state.written += inserted
                    state.batches += 1
                    if let journal {
                        if state.queue.isEmpty {
                            journal.clear()
                        } else {
                            journal.compact(keeping: state.queue.elements.map(\.record))
                        }
                    }
                    return state.onCommit
                }
                observer?(records)
            } catch {
                state.withLock { state in
                    state.inFlight = 0
                    state.failures += 1
                    state.dropped += state.queue.prepend(batch)
                }
                onError?(error)
                succeeded = false
                break
            }
        }
        releaseWriteTurn()
        return succeeded
    }

    /// Inserts what crashed processes left in their journals (calls answered but not yet
    /// committed when they died); ids already stored are skipped. Runs before the first batch.
    private func replayJournal() async {
        guard let journal else { return }
        for orphan in journal.orphans() {
            do {
                let inserted = try await repository.insert(orphan.records)
                state.withLock { $0.recovered += inserted }
                unlink(orphan.path)
            } catch {
                onError?(error)
            }
        }
    }

    private func acquireWriteTurn() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = state.withLock { state -> Bool in
                if !state.writing {
                    state.writing = true
                    return true
                }
                state.writeTurns.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
    }

    private func releaseWriteTurn() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            // The turn passes straight to the next waiter; `writing` stays true.
            guard !state.writeTurns.isEmpty else {
                state.writing = false
                return nil
            }
            return state.writeTurns.removeFirst()
        }
        next?.resume()
    }

    // MARK: - State

    private struct State {
        struct Entry {
            var sequence: UInt64
            var record: AuditRecord
        }

        struct Waiter {
            var continuation: CheckedContinuation<Void, Never>
            /// nil: waiting for any record; else waiting for a full batch until this tick expires.
            var tick: UInt64?
        }

        var queue: BoundedQueue<Entry>
        /// Sequence number of the next record: records ever accepted.
        var enqueued: UInt64 = 0
        var inFlight = 0
        var written = 0
        var dropped = 0
        var batches = 0
        var failures = 0
        var waiter: Waiter?
        var tick: UInt64 = 0
        var expired: UInt64 = 0
        var running = false
        var writing = false
        var writeTurns: [CheckedContinuation<Void, Never>] = []
        var onCommit: CommitObserver?
        var recovered = 0

        init(capacity: Int, onCommit: CommitObserver?) {
            queue = BoundedQueue(capacity: capacity)
            self.onCommit = onCommit
        }

        mutating func enqueue(_ record: AuditRecord) {
            if queue.append(Entry(sequence: enqueued, record: record)) { dropped += 1 }
            enqueued += 1
        }

        func isSatisfied(_ waiter: Waiter, batchSize: Int) -> Bool {
            guard let tick = waiter.tick else { return !queue.isEmpty }
            return queue.count >= batchSize || expired >= tick
        }

        mutating func takeWaiterIfSatisfied(batchSize: Int) -> CheckedContinuation<Void, Never>? {
            guard let waiter, isSatisfied(waiter, batchSize: batchSize) else { return nil }
            self.waiter = nil
            return waiter.continuation
        }
    }
}
