import Foundation
import GRDB
import JunctionCore

/// The one database of a Junction home: a `DatabasePool` (WAL) on disk, or an in-memory queue in
/// tests. Opening it applies the embedded migrations and refuses files it must not touch.
public struct AppDatabase: Sendable {
    /// The writer every repository goes through; `DatabasePool` lets readers run beside a writer.
    public let writer: any DatabaseWriter

    public var reader: any DatabaseReader { writer }

    /// Wraps an already-open database and migrates it.
    public init(_ writer: any DatabaseWriter, path: String = ":memory:") throws(StoreError) {
        self.writer = writer
        try Self.migrate(writer, path: path)
    }

    /// Opens (creating if needed) the database file at `path`.
    ///
    /// A file that is not SQLite, a SQLite file of another application, and a database written by a
    /// newer Junction are refused before anything is written to them.
    public static func open(path: String) throws(StoreError) -> AppDatabase {
        try checkHeader(path: path)
        try createPrivately(path: path)
        var config = Configuration()
        config.foreignKeysEnabled = true
        // The CLI and a running daemon share the file: wait for each other's short transactions.
        config.busyMode = .timeout(5)
        config.maximumReaderCount = maximumReaderCount
        try checkExisting(path: path, configuration: config)
        config.label = "junction"
        config.prepareDatabase { db in
            // Safe in WAL mode: a crash may lose the last transaction, never corrupt the file.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            if let error = error as? DatabaseError, error.resultCode == .SQLITE_NOTADB {
                throw .notADatabase(path: path)
            }
            throw StoreError.wrap(error)
        }
        return try AppDatabase(pool, path: path)
    }

    /// A private in-memory database, for tests and dry runs.
    public static func inMemory() throws(StoreError) -> AppDatabase {
        var config = Configuration()
        config.foreignKeysEnabled = true
        do {
            return try AppDatabase(try DatabaseQueue(configuration: config))
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// The configuration generation: bumped (by triggers) on every write to configuration tables.
    public func generation() throws(StoreError) -> UInt64 {
        BlockingAllowed.check("read")
        do {
            return try reader.read { db in
                try UInt64.fetchOne(db, sql: "SELECT generation FROM config_state WHERE id = 1") ?? 0
            }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// Identifiers of the migrations this build knows, in order.
    public static var knownMigrations: [String] { EmbeddedMigrations.all.map(\.identifier) }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in EmbeddedMigrations.all {
            migrator.registerMigration(migration.identifier) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }

    /// Refuses a database of another application or of a newer Junction, reading only.
    private static func checkIdentity(_ reader: any DatabaseReader, path: String) throws(StoreError) {
        do {
            let (applied, isForeign) = try reader.read { db -> (Set<String>, Bool) in
                let hasMigrations = try db.tableExists("grdb_migrations")
                let applied = hasMigrations ? try migrator.appliedIdentifiers(db) : []
                let tableCount =
                    try Int.fetchOne(
                        db, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                    ) ?? 0
                return (applied, !hasMigrations && tableCount > 0)
            }
            if isForeign { throw StoreError.notJunctionDatabase(path: path) }
            let unknown = applied.subtracting(knownMigrations).sorted()
            if !unknown.isEmpty { throw StoreError.newerSchema(path: path, unknownMigrations: unknown) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_NOTADB {
            throw .notADatabase(path: path)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    private static func migrate(_ writer: any DatabaseWriter, path: String) throws(StoreError) {
        try checkIdentity(writer, path: path)
        do {
            try migrator.migrate(writer)
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// `DatabasePool` switches a file to WAL mode as it opens it, which rewrites the header of a
    /// rollback-journal database. So a file that already holds data is first checked through a
    /// plain connection that only reads: a refused file is left byte-for-byte unchanged.
    private static func checkExisting(path: String, configuration: Configuration) throws(StoreError) {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        guard size > 0 else { return }
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
        } catch {
            if let error = error as? DatabaseError, error.resultCode == .SQLITE_NOTADB {
                throw .notADatabase(path: path)
            }
            throw StoreError.wrap(error)
        }
        try checkIdentity(queue, path: path)
    }

    /// SQLite files start with this 16-byte magic; anything else non-empty is not ours to open.
    private static let sqliteMagic = Array("SQLite format 3\u{0}".utf8)

    /// Creates a missing database file with mode 0600; SQLite gives its -wal and -shm files the
    /// same mode, so no secret-bearing file is ever readable by other users.
    private static func createPrivately(path: String) throws(StoreError) {
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            close(fd)
        } else if errno != EEXIST {
            throw .database("cannot create database '\(path)': \(String(cString: strerror(errno)))")
        }
    }

    private static func checkHeader(path: String) throws(StoreError) {
        // Close-on-exec (FileHandle(forReadingAtPath:) is not on Linux).
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }  // missing: created fresh
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 16)) ?? Data()
        if head.isEmpty { return }  // an empty file is an empty database
        if Array(head) != sqliteMagic { throw .notADatabase(path: path) }
    }
}
