import Foundation
import GRDB
import JunctionCore
import Testing

@testable import JunctionStore

@Suite("AppDatabase on real files")
struct AppDatabaseTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    var path: String { directory.file("junction.db") }

    static let tables = [
        "workspaces", "downstreams", "route_rules", "auth_scopes", "oauth_providers", "oauth_tokens",
        "tool_catalog", "sessions", "audit_records", "approvals", "settings", "config_state",
    ]

    // MARK: Opening and migrating

    @Test("migrating an empty folder creates every table and records the migrations")
    func migrationsCreateEveryTable() throws {
        let database = try AppDatabase.open(path: path)
        let (tables, applied) = try database.reader.read { db in
            (
                try String.fetchSet(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'"),
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            )
        }
        for table in Self.tables {
            #expect(tables.contains(table), "missing table \(table)")
        }
        #expect(applied == AppDatabase.knownMigrations)
        #expect(AppDatabase.knownMigrations.first == "0001_init")
    }

    @Test("an existing empty file is initialised like a new database")
    func emptyFileIsInitialised() throws {
        try Files.write(Data(), to: path)
        let database = try AppDatabase.open(path: path)
        #expect(try database.generation() == 0)
        #expect(try WorkspaceRepository(database).list().isEmpty)
    }

    @Test("foreign keys are enforced on the writer and on readers")
    func foreignKeysAreOn() throws {
        let database = try AppDatabase.open(path: path)
        #expect(try database.writer.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") } == true)
        #expect(try database.reader.read { db in try Bool.fetchOne(db, sql: "PRAGMA foreign_keys") } == true)
        #expect(throws: DatabaseError.self) {
            try database.writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO route_rules (id, workspace_id, tool_pattern, created_at, updated_at)
                        VALUES ('r1', 'no-such-workspace', '*', '2025-01-01', '2025-01-01')
                        """)
            }
        }
    }

    @Test("the database file is in WAL journal mode")
    func walJournalMode() throws {
        let database = try AppDatabase.open(path: path)
        let mode = try database.reader.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
    }

    @Test("reopening an existing database keeps its data")
    func reopenKeepsData() throws {
        let created: Workspace
        do {
            let database = try AppDatabase.open(path: path)
            created = try WorkspaceRepository(database).create(Workspace(name: "demo", rootPath: "/src/demo"))
            try SettingsRepository(database).set("default_policy", json: #""deny""#)
            try TestStore.close(database.writer)
        }
        let reopened = try AppDatabase.open(path: path)
        let workspace = try WorkspaceRepository(reopened).get("demo")
        #expect(workspace.id == created.id)
        #expect(workspace.rootPath == "/src/demo")
        #expect(try SettingsRepository(reopened).value(.defaultPolicy) == .deny)
        #expect(try reopened.generation() == 2)
    }

    @Test("a new database file is private to its owner (0600), and so is its WAL")
    func newFileModeIs0600() throws {
        let database = try AppDatabase.open(path: path)
        try WorkspaceRepository(database).create(Workspace(name: "w", rootPath: "/w"))
        #expect(try Files.mode(path) == 0o600)
        if directory.exists("junction.db-wal") {
            #expect(try Files.mode(path + "-wal") == 0o600)
        }
    }

    // MARK: Files Junction must not touch

    @Test("a database written by a newer Junction is refused and left byte-for-byte unchanged")
    func newerSchemaIsRefused() throws {
        do {
            let database = try AppDatabase.open(path: path)
            try WorkspaceRepository(database).create(Workspace(name: "w", rootPath: "/w"))
            try database.writer.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('9999_future')")
            }
            try TestStore.close(database.writer)
        }
        let before = try Files.bytes(path)

        #expect(throws: StoreError.newerSchema(path: path, unknownMigrations: ["9999_future"])) {
            try AppDatabase.open(path: path)
        }
        #expect(try Files.bytes(path) == before)
        let message = StoreError.newerSchema(path: path, unknownMigrations: ["9999_future"]).description
        #expect(message.contains("9999_future") && message.contains("upgrade Junction"))
    }

    static let notSQLite: [(String, Data)] = [
        ("random bytes", Data((0..<4096).map { _ in UInt8.random(in: 0...255) })),
        ("text", Data("name = demo\nroot = /src\n".utf8)),
        ("short text", Data("hi".utf8)),
        ("almost the magic", Data("SQLite format 2\u{0}and then some more bytes".utf8)),
    ]

    @Test("a file that is not SQLite is refused and left unchanged, with no -wal or -shm", arguments: notSQLite)
    func notADatabaseIsRefused(label: String, contents: Data) throws {
        try Files.write(contents, to: path)

        #expect(throws: StoreError.notADatabase(path: path)) { try AppDatabase.open(path: path) }

        #expect(try Files.bytes(path) == contents, "\(label) was modified")
        #expect(!directory.exists("junction.db-wal"))
        #expect(!directory.exists("junction.db-shm"))
        #expect(!directory.exists("junction.db-journal"))
        #expect(StoreError.notADatabase(path: path).description.contains("is not a SQLite database"))
    }

    /// Regression: `DatabasePool` switched a rollback-journal database to WAL mode (rewriting its
    /// header) before Junction looked at the tables, so "leaves it untouched" was not true.
    @Test("a SQLite database of another application is refused and left byte-for-byte unchanged")
    func foreignDatabaseIsRefused() throws {
        do {
            let other = try DatabaseQueue(path: path)
            try other.write { db in
                try db.execute(sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
                try db.execute(sql: "INSERT INTO notes (body) VALUES ('keep me')")
            }
            try other.close()
        }
        let before = try Files.bytes(path)

        #expect(throws: StoreError.notJunctionDatabase(path: path)) { try AppDatabase.open(path: path) }

        #expect(try Files.bytes(path) == before)
        #expect(!directory.exists("junction.db-wal"))
        #expect(!directory.exists("junction.db-shm"))
        let other = try DatabaseQueue(path: path)
        #expect(try other.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") } == "delete")
        #expect(try other.read { db in try db.tableExists("workspaces") } == false)
    }

    @Test("a foreign SQLite database already in WAL mode is refused and left unchanged too")
    func foreignWALDatabaseIsRefused() throws {
        do {
            let other = try DatabasePool(path: path)
            try other.write { db in try db.execute(sql: "CREATE TABLE notes (body TEXT)") }
            try TestStore.close(other)
        }
        let before = try Files.bytes(path)
        #expect(throws: StoreError.notJunctionDatabase(path: path)) { try AppDatabase.open(path: path) }
        #expect(try Files.bytes(path) == before)
    }

    // MARK: Generation counter

    /// Runs `write` and expects it to bump the generation.
    private func expectBump(
        _ database: AppDatabase, _ label: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ write: () throws -> Void
    ) throws {
        let before = try database.generation()
        try write()
        #expect(
            try database.generation() > before, "\(label) did not bump the generation", sourceLocation: sourceLocation)
    }

    @Test("the generation starts at 0 and every repository write bumps it")
    func everyRepositoryWriteBumpsTheGeneration() throws {
        let database = try AppDatabase.open(path: path)
        #expect(try database.generation() == 0)
        let workspaces = WorkspaceRepository(database)
        let servers = DownstreamRepository(database)
        let routes = RouteRuleRepository(database)
        let scopes = AuthScopeRepository(database, box: TestStore.box)
        let settings = SettingsRepository(database)

        var workspace = Workspace(name: "w", rootPath: "/w")
        try expectBump(database, "workspace create") { workspace = try workspaces.create(workspace) }
        workspace.defaultPolicy = .deny
        try expectBump(database, "workspace update") { try workspaces.update(workspace) }

        var server = Downstream(name: "gh", command: "gh-mcp")
        try expectBump(database, "server create") { server = try servers.create(server) }
        server.args = ["--verbose"]
        try expectBump(database, "server update") { try servers.update(server) }
        try expectBump(database, "server disable") { try servers.setEnabled("gh", false) }
        try expectBump(database, "server enable") { try servers.setEnabled("gh", true) }

        try expectBump(database, "scope create") {
            try scopes.create(name: "s", server: "gh", secrets: .init(env: ["TOKEN": "x"]))
        }
        try expectBump(database, "scope update secrets") {
            try scopes.updateSecrets("s", set: .init(env: ["OTHER": "y"]))
        }

        var rule = RouteRule(name: "r", workspaceId: workspace.id, toolPattern: "gh__*")
        try expectBump(database, "route create") { rule = try routes.create(rule) }
        try expectBump(database, "route createAll") {
            try routes.createAll([RouteRule(toolPattern: "a__*"), RouteRule(toolPattern: "b__*")])
        }
        rule.policy = .approve
        try expectBump(database, "route update") { try routes.update(rule) }
        try expectBump(database, "route disable") { try routes.setEnabled("r", false) }
        try expectBump(database, "route delete") { try routes.delete("r") }

        try expectBump(database, "settings set") { try settings.set("log_level", json: #""debug""#) }
        try expectBump(database, "settings set again") { try settings.set("log_level", json: #""info""#) }
        try expectBump(database, "settings reset") { try settings.reset("log_level") }

        try expectBump(database, "scope delete") { try scopes.delete("s") }
        try expectBump(database, "server delete") { try servers.delete("gh") }
        try expectBump(database, "workspace delete") { try workspaces.delete("w") }
    }

    @Test("reads never bump the generation")
    func readsDoNotBump() throws {
        let store = try TestStore()
        let workspace = try store.workspace("w")
        try store.server("gh")
        try store.scope("s", server: "gh")
        try store.rule("gh__*", name: "r", workspace: workspace)
        let before = try store.database.generation()

        _ = try store.workspaces.list()
        _ = try store.workspaces.get("w")
        _ = try store.workspaces.find("nope")
        _ = try store.downstreams.list()
        _ = try store.downstreams.get("gh")
        _ = try store.routes.list()
        _ = try store.routes.list(.workspace(id: workspace.id))
        _ = try store.routes.get("r")
        _ = try store.scopes().list()
        _ = try store.scopes().get("s")
        _ = try store.scopes().secrets(of: "s")
        _ = try store.settings.all()
        _ = try store.settings.get("default_policy")
        _ = try store.settings.value(.defaultPolicy)

        #expect(try store.database.generation() == before)
    }

    @Test("a raw SQL write from another, independent connection bumps the generation")
    func writeFromAnotherConnectionBumps() throws {
        let database = try AppDatabase.open(path: path)
        let before = try database.generation()

        // Another process: its own connection, no GRDB migrator, no repositories.
        let other = try DatabaseQueue(path: path)
        try other.write { db in
            try db.execute(
                sql: """
                    INSERT INTO workspaces (id, name, root_path, created_at, updated_at)
                    VALUES ('01OTHERPROCESS', 'elsewhere', '/elsewhere', '2025-01-01', '2025-01-01')
                    """)
        }
        #expect(try database.generation() == before + 1)

        try other.write { db in
            try db.execute(
                sql: "INSERT INTO settings (key, value, updated_at) VALUES ('log_level', '\"warning\"', 'x')")
        }
        #expect(try database.generation() == before + 2)
        try other.close()
        #expect(try WorkspaceRepository(database).get("elsewhere").id == "01OTHERPROCESS")
    }

    // MARK: Schema checks

    static let invalidJSONInserts: [String] = [
        "INSERT INTO workspaces (id, name, root_path, tags, created_at, updated_at) VALUES ('w', 'w', '/w', 'not json', 'x', 'x')",
        "INSERT INTO workspaces (id, name, root_path, tags, created_at, updated_at) VALUES ('w', 'w', '/w', '[1]', 'x', 'x')",
        "INSERT INTO downstreams (id, name, namespace, command, args, created_at, updated_at) VALUES ('d', 'd', 'd', 'c', '{broken', 'x', 'x')",
        "INSERT INTO downstreams (id, name, namespace, command, env, created_at, updated_at) VALUES ('d', 'd', 'd', 'c', '[]', 'x', 'x')",
        "INSERT INTO settings (key, value, updated_at) VALUES ('log_level', 'info', 'x')",
        "INSERT INTO downstreams (id, name, namespace, command, created_at, updated_at) VALUES ('d', 'd', 'd', 'c', 'x', 'x'); "
            + "INSERT INTO tool_catalog (id, downstream_id, name, input_schema, sha256, first_seen, last_seen) VALUES ('t', 'd', 'n', '{', 's', 'x', 'x')",
    ]

    @Test("JSON columns reject invalid JSON inserted by raw SQL", arguments: invalidJSONInserts)
    func jsonChecksRejectInvalidJSON(sql: String) throws {
        let database = try AppDatabase.open(path: path)
        let error = #expect(throws: DatabaseError.self) {
            try database.writer.write { db in try db.execute(sql: sql) }
        }
        #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_CHECK)
    }

    @Test("the embedded migrations are exactly migrations/*.sql on disk")
    func embeddedMigrationsMatchDisk() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(!files.isEmpty)
        #expect(EmbeddedMigrations.all.map(\.identifier) == files.map { String($0.dropLast(".sql".count)) })
        for (file, embedded) in zip(files, EmbeddedMigrations.all) {
            var text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            while text.hasSuffix("\n") { text.removeLast() }
            #expect(embedded.sql == text, "\(file) differs from its embedded copy: run scripts/embed-migrations")
        }
    }
}
