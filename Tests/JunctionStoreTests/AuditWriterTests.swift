import Foundation
import GRDB
import JunctionCore
import JunctionStore
import Testing

@Suite("AuditWriter")
struct AuditWriterTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    static func record(_ id: String) -> AuditRecord {
        AuditRecord(id: id, toolName: "gh__search", decision: .allow, status: .ok)
    }

    func storedIds() throws -> [String] {
        try store.database.reader.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM audit_records ORDER BY id")
        }
    }

    @Test("records from many concurrent tasks all land exactly once after flush()")
    func concurrentRecords() async throws {
        let writer = AuditWriter(repository: store.audit, batchSize: 64, flushInterval: .milliseconds(5))
        let runner = Task { await writer.run() }
        let tasks = 8
        let perTask = 500
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for index in 0..<perTask { writer.record(Self.record(String(format: "T%02d-%05d", task, index))) }
                }
            }
        }
        #expect(await writer.flush())

        let expected = (0..<tasks).flatMap { task in
            (0..<perTask).map { String(format: "T%02d-%05d", task, $0) }
        }
        #expect(try storedIds() == expected.sorted())
        let stats = writer.stats
        #expect(stats.written == tasks * perTask && stats.pending == 0 && stats.dropped == 0 && stats.failures == 0)
        #expect(stats.batches >= tasks * perTask / 64)
        runner.cancel()
        await runner.value
    }

    @Test("record() returns at once while another connection holds the write lock", .timeLimit(.minutes(1)))
    func recordNeverWaitsForTheDatabase() async throws {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // the lock must outlive one database access
        let blocker = try DatabaseQueue(path: store.path, configuration: configuration)
        try blocker.inDatabase { db in try db.execute(sql: "BEGIN IMMEDIATE") }

        let writer = AuditWriter(repository: store.audit, batchSize: 1000, flushInterval: .milliseconds(10))
        let runner = Task { await writer.run() }
        writer.record(Self.record("first"))
        // The writer is now stuck inside a write transaction waiting for the lock.
        #expect(await eventually { writer.stats.inFlight == 1 })

        // Were record() to wait for the database, these calls would never return while the lock
        // is held (the test's time limit catches that); no timing is asserted.
        for index in 0..<10_000 { writer.record(Self.record(String(format: "R%05d", index))) }
        let blocked = writer.stats
        #expect(blocked.pending == 10_001 && blocked.inFlight == 1 && blocked.written == 0)

        try blocker.inDatabase { db in try db.execute(sql: "COMMIT") }
        #expect(await writer.flush())
        #expect(try storedIds().count == 10_001)
        #expect(writer.stats.written == 10_001 && writer.stats.pending == 0)
        runner.cancel()
        await runner.value
        try blocker.close()
    }

    @Test("a full queue drops its oldest records and counts them")
    func boundDropsOldest() async throws {
        let writer = AuditWriter(repository: store.audit, batchSize: 4, capacity: 10)
        for index in 0..<25 { writer.record(Self.record(String(format: "R%02d", index))) }
        #expect(writer.stats == .init(written: 0, dropped: 15, pending: 10, inFlight: 0, batches: 0, failures: 0))

        #expect(await writer.flush())
        #expect(try storedIds() == (15..<25).map { String(format: "R%02d", $0) })
        #expect(writer.stats == .init(written: 10, dropped: 15, pending: 0, inFlight: 0, batches: 3, failures: 0))
    }

    @Test("run() writes full batches at once and the rest after the interval, telling the observer in order")
    func batchesAndObserver() async throws {
        let writer = AuditWriter(repository: store.audit, batchSize: 10, flushInterval: .milliseconds(20))
        let (batches, continuation) = AsyncStream.makeStream(of: [AuditRecord].self)
        writer.observe { continuation.yield($0) }
        let runner = Task { await writer.run() }

        let ids = (0..<25).map { String(format: "B%02d", $0) }
        writer.record(contentsOf: ids.map(Self.record))
        let seen = await collect(batches, records: 25)
        #expect(seen.flatMap { $0.map(\.id) } == ids)
        #expect(seen.allSatisfy { $0.count <= 10 })
        #expect(try storedIds() == ids)
        #expect(writer.stats.written == 25 && writer.stats.batches == seen.count)

        writer.observe(nil)
        runner.cancel()
        await runner.value
    }

    @Test("a failed write keeps its records and is retried on a later tick")
    func failuresAreRetried() async throws {
        try await store.database.writer.write { db in try db.execute(sql: "ALTER TABLE audit_records RENAME TO held") }
        let (errors, errorContinuation) = AsyncStream.makeStream(of: StoreError.self)
        let (batches, batchContinuation) = AsyncStream.makeStream(of: [AuditRecord].self)
        let writer = AuditWriter(
            repository: store.audit, batchSize: 100, flushInterval: .milliseconds(10),
            onCommit: { batchContinuation.yield($0) }, onError: { errorContinuation.yield($0) })
        let runner = Task { await writer.run() }

        let ids = (0..<5).map { "F\($0)" }
        writer.record(contentsOf: ids.map(Self.record))
        let error = await first(errors)
        #expect(error?.description.contains("no such table") == true)
        #expect(writer.stats.pending == 5 && writer.stats.written == 0 && writer.stats.failures >= 1)

        try await store.database.writer.write { db in try db.execute(sql: "ALTER TABLE held RENAME TO audit_records") }
        let seen = await collect(batches, records: 5)
        #expect(seen.flatMap { $0.map(\.id) } == ids)
        #expect(try storedIds() == ids)
        #expect(writer.stats.dropped == 0 && writer.stats.pending == 0)
        runner.cancel()
        await runner.value
    }

    @Test("flush() reports a failure and keeps the records for the next attempt")
    func flushFailureKeepsRecords() async throws {
        let writer = AuditWriter(repository: store.audit, batchSize: 2)
        writer.record(contentsOf: ["K1", "K2", "K3"].map(Self.record))
        try await store.database.writer.write { db in try db.execute(sql: "ALTER TABLE audit_records RENAME TO held") }
        #expect(await writer.flush() == false)
        #expect(writer.stats.pending == 3 && writer.stats.failures == 1)
        try await store.database.writer.write { db in try db.execute(sql: "ALTER TABLE held RENAME TO audit_records") }
        #expect(await writer.flush())
        #expect(try storedIds() == ["K1", "K2", "K3"])
    }

    @Test("flush() still writes when called from a cancelled task, as on shutdown")
    func flushWhenCancelled() async throws {
        let writer = AuditWriter(repository: store.audit)
        writer.record(Self.record("last-words"))
        let flushed = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await writer.flush()
        }
        #expect(await flushed.value)
        #expect(try storedIds() == ["last-words"])
    }

    @Test("cancelling run() ends it promptly and writes what was queued", .timeLimit(.minutes(1)))
    func runDrainsOnCancel() async throws {
        // The flush interval is an hour: only reacting to cancellation ends run() within the test's
        // time limit. No timing is asserted.
        let writer = AuditWriter(repository: store.audit, batchSize: 1000, flushInterval: .seconds(3600))
        let runner = Task { await writer.run() }
        writer.record(contentsOf: ["C1", "C2", "C3"].map(Self.record))
        runner.cancel()
        await runner.value
        #expect(try storedIds() == ["C1", "C2", "C3"])
    }

    @Test("a second run() of the same writer returns at once")
    func singleRunner() async throws {
        let writer = AuditWriter(repository: store.audit, batchSize: 1)
        let (batches, continuation) = AsyncStream.makeStream(of: [AuditRecord].self)
        writer.observe { continuation.yield($0) }
        let runner = Task { await writer.run() }
        writer.record(Self.record("one"))
        _ = await collect(batches, records: 1)  // the first run() is running
        let second: Void? = await withBound { await writer.run() }
        #expect(second != nil)
        runner.cancel()
        await runner.value
    }

    // MARK: - Helpers

    /// Gathers batches until `records` records arrived (or a generous bound passed).
    func collect(_ batches: AsyncStream<[AuditRecord]>, records: Int) async -> [[AuditRecord]] {
        await withBound {
            var seen: [[AuditRecord]] = []
            for await batch in batches {
                seen.append(batch)
                if seen.reduce(0, { $0 + $1.count }) >= records { break }
            }
            return seen
        } ?? []
    }

    func first<T: Sendable>(_ stream: AsyncStream<T>) async -> T? {
        await withBound {
            for await element in stream { return element }
            return nil
        } ?? nil
    }
}

/// Runs `body`, giving up after `bound` (the bound only keeps a broken test from hanging).
func withBound<T: Sendable>(_ bound: Duration = .seconds(20), _ body: @escaping @Sendable () async -> T) async -> T? {
    await withTaskGroup(of: T?.self) { group in
        group.addTask { await body() }
        group.addTask {
            try? await Task.sleep(for: bound)
            return nil
        }
        let result = await group.next() ?? nil
        group.cancelAll()
        return result
    }
}

/// Waits for a condition no event announces, yielding between checks, up to `bound`.
func eventually(_ bound: Duration = .seconds(20), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + bound
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        await Task.yield()
    }
    return true
}
