import Foundation
import GRDB
import JunctionCore

/// Workspaces: project roots with their own rules and default policy.
public struct WorkspaceRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// Validates and inserts a workspace; its root is normalised first.
    @discardableResult
    public func create(_ workspace: Workspace) throws(StoreError) -> Workspace {
        let workspace = try validated(workspace)
        return try database.write { db in
            try checkUnique(workspace, db)
            try workspace.insert(db)
            try AuditRecord.configChange("workspace/created", name: workspace.name, db)
            return workspace
        }
    }

    /// Replaces an existing workspace (matched by id) with new values.
    @discardableResult
    public func update(_ workspace: Workspace) throws(StoreError) -> Workspace {
        var workspace = try validated(workspace)
        workspace.updatedAt = Date()
        return try database.write { [workspace] db in
            guard try Workspace.exists(db, key: workspace.id) else {
                throw StoreError.notFound(kind: "workspace", key: workspace.id)
            }
            try checkUnique(workspace, db)
            try workspace.update(db)
            try AuditRecord.configChange("workspace/updated", name: workspace.name, db)
            return workspace
        }
    }

    public func list() throws(StoreError) -> [Workspace] {
        try database.read { db in try Workspace.order(Column("name")).fetchAll(db) }
    }

    public func find(_ idOrName: String) throws(StoreError) -> Workspace? {
        try database.read { db in try Lookup.byIdOrName(Workspace.self, db, idOrName) }
    }

    public func get(_ idOrName: String) throws(StoreError) -> Workspace {
        guard let workspace = try find(idOrName) else { throw .notFound(kind: "workspace", key: idOrName) }
        return workspace
    }

    /// Deletes a workspace and, with it, its route rules. Returns what was deleted.
    @discardableResult
    public func delete(_ idOrName: String) throws(StoreError) -> (workspace: Workspace, deletedRules: Int) {
        try database.write { db in
            guard let workspace = try Lookup.byIdOrName(Workspace.self, db, idOrName) else {
                throw StoreError.notFound(kind: "workspace", key: idOrName)
            }
            let rules = try RouteRule.filter(Column("workspace_id") == workspace.id).fetchCount(db)
            try workspace.delete(db)
            try AuditRecord.configChange(
                "workspace/deleted", name: workspace.name, details: ["deleted_rules": .integer(Int64(rules))], db)
            return (workspace, rules)
        }
    }

    func validated(_ workspace: Workspace) throws(StoreError) -> Workspace {
        var workspace = workspace
        do {
            try Validate.name(workspace.name, kind: "workspace")
        } catch {
            throw .invalid(error)
        }
        do {
            workspace.rootPath = try PathNormalizer.normalize(workspace.rootPath)
        } catch {
            throw .invalid(ValidationError(field: "root_path", message: "invalid root path: \(error)"))
        }
        for key in workspace.tags.keys where key.isEmpty {
            throw .invalid(ValidationError(field: "tags", message: "tag keys must not be empty"))
        }
        return workspace
    }

    func checkUnique(_ workspace: Workspace, _ db: Database) throws {
        try Lookup.ensureUnique(
            db, table: "workspaces", column: "name", value: workspace.name, excludingId: workspace.id,
            kind: "workspace")
        try Lookup.ensureUnique(
            db, table: "workspaces", column: "root_path", value: workspace.rootPath, excludingId: workspace.id,
            kind: "workspace", field: "root")
    }
}
