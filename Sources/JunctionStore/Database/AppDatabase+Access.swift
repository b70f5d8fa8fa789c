import GRDB

extension AppDatabase {
    /// The threads synchronous database work runs on when it is called from async code: shared
    /// by every database of the process, and fewer than the pool's reader connections, so a
    /// thread that holds no connection always finds one soon.
    public static let executor = BlockingExecutor(name: "junction-db", threads: executorThreads)

    /// The executor's size; the pool keeps ``maximumReaderCount`` readers, more than this.
    public static let executorThreads = 8

    /// SQLite reader connections of a `DatabasePool`: the executor's threads, the audit
    /// writer's and dashboard's async reads, and the sessions' own threads all find one.
    public static let maximumReaderCount = 16

    public var executor: BlockingExecutor { Self.executor }

    /// Runs synchronous database work (repositories, the routing loader) on ``executor`` and
    /// awaits it: the caller's thread, whichever it is, is not blocked.
    public func run<T: Sendable>(_ work: @Sendable () throws -> T) async throws -> T {
        try await withTaskExecutorPreference(executor) { try work() }
    }

    /// One write transaction; any error comes out as a `StoreError`.
    func write<T>(
        _ updates: (Database) throws -> T, file: StaticString = #fileID, line: UInt = #line
    ) throws(StoreError) -> T {
        BlockingAllowed.check("write", file: file, line: line)
        do {
            return try writer.write(updates)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// A read from a consistent snapshot; any error comes out as a `StoreError`.
    func read<T>(
        _ value: (Database) throws -> T, file: StaticString = #fileID, line: UInt = #line
    ) throws(StoreError) -> T {
        BlockingAllowed.check("read", file: file, line: line)
        do {
            return try reader.read(value)
        } catch {
            throw StoreError.wrap(error)
        }
    }
}
