import Foundation
import GRDB
import JunctionCore
import JunctionStore

/// A Junction database in a real file of a fresh temporary folder, with its repositories and
/// helpers that create the rows most tests need.
struct TestStore {
    let directory: TemporaryDirectory
    let database: AppDatabase

    init() throws {
        directory = try TemporaryDirectory()
        database = try AppDatabase.open(path: directory.file("junction.db"))
    }

    var path: String { directory.file("junction.db") }
    var workspaces: WorkspaceRepository { WorkspaceRepository(database) }
    var downstreams: DownstreamRepository { DownstreamRepository(database) }
    var routes: RouteRuleRepository { RouteRuleRepository(database) }
    var settings: SettingsRepository { SettingsRepository(database) }
    var catalog: CatalogRepository { CatalogRepository(database) }
    var audit: AuditRepository { AuditRepository(database) }
    var sessions: SessionRepository { SessionRepository(database) }
    var dashboard: DashboardRepository { DashboardRepository(database) }

    func scopes(box: SecretBox? = TestStore.box) -> AuthScopeRepository {
        AuthScopeRepository(database, box: box)
    }

    /// A fixed key, so tests that need "another key" can make a different one.
    static let box = SecretBox(key: .init(data: Data(repeating: 7, count: 32)))

    @discardableResult
    func workspace(_ name: String, root: String? = nil, policy: Policy = .allow) throws -> Workspace {
        try workspaces.create(Workspace(name: name, rootPath: root ?? "/projects/\(name)", defaultPolicy: policy))
    }

    @discardableResult
    func server(_ name: String, namespace: String? = nil) throws -> Downstream {
        try downstreams.create(Downstream(name: name, namespace: namespace, command: "/usr/bin/\(name)-mcp"))
    }

    @discardableResult
    func scope(_ name: String, server: String, env: [String: String] = ["TOKEN": "t"]) throws -> AuthScope {
        try scopes().create(name: name, server: server, secrets: .init(env: env))
    }

    @discardableResult
    func rule(
        _ tool: String, name: String? = nil, workspace: Workspace? = nil, server: Downstream? = nil,
        scope: AuthScope? = nil, policy: Policy = .allow, priority: Int = 0
    ) throws -> RouteRule {
        try routes.create(
            RouteRule(
                name: name, workspaceId: workspace?.id, toolPattern: tool, downstreamId: server?.id,
                authScopeId: scope?.id, policy: policy, priority: priority))
    }

    /// Checkpoints the WAL into the database file and closes every connection, so the file alone
    /// holds all data.
    func close() throws {
        try Self.close(database.writer)
    }

    /// GRDB closes a pool's read-only readers last, and those cannot checkpoint: without the
    /// explicit checkpoint the data could stay in the -wal file.
    static func close(_ writer: any DatabaseWriter) throws {
        try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        if let pool = writer as? DatabasePool { try pool.close() }
        if let queue = writer as? DatabaseQueue { try queue.close() }
    }
}
