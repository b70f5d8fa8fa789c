import Foundation
import GRDB
import JunctionCore
import JunctionStore
import Testing

@Suite("BlockingExecutor and the database's threads", .timeLimit(.minutes(2)))
struct BlockingExecutorTests {
    @Test("only tasks on the cooperative pool are refused blocking; Junction's threads and plain threads may")
    func whereBlockingIsAllowed() async {
        #expect(await Task.detached { BlockingAllowed.isAllowedHere }.value == false)
        #expect(await withTaskExecutorPreference(AppDatabase.executor) { BlockingAllowed.isAllowedHere })
        let plain = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: BlockingAllowed.isAllowedHere) }.start()
        }
        #expect(plain)
    }

    /// The freeze of issue 15: many synchronous reads waiting for a connection while async reads
    /// hold the pool's connections. With the synchronous ones on the executor all of them finish.
    @Test("many more concurrent sync and async reads than readers and cores all finish")
    func mixedReadsFinish() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("junction-\(ULID.make())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try AppDatabase.open(path: directory.appendingPathComponent("junction.db").path)
        let workspaces = WorkspaceRepository(database)
        let finished = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<96 {
                group.addTask {
                    if index.isMultiple(of: 2) {
                        return try await database.run { try workspaces.list().count + 1 }
                    }
                    return try await database.reader.read { db in
                        try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master")! > 0 ? 1 : 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(finished == 96)
    }

    @Test("jobs beyond the executor's threads wait their turn, on its own threads, and all run")
    func queueing() async {
        let executor = BlockingExecutor(name: "test-exec", threads: 2)
        defer { executor.shutdown() }
        let onItsThreads = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                // True only on a thread the executor marked as its own: this job runs in a task.
                group.addTask(executorPreference: executor) { BlockingAllowed.isAllowedHere }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(onItsThreads == 20)
    }
}
