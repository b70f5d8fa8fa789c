import Foundation
import GRDB
import JunctionCore

/// Configuration as a document (``ConfigDocument``): exported from the database, validated, and
/// applied all or nothing in one transaction, with the changes it makes listed first.
public struct ConfigRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// One change applying a document makes.
    public struct Change: Sendable, Hashable, Codable, CustomStringConvertible {
        public enum Action: String, Sendable, Codable {
            case create, update, delete
        }

        public var action: Action
        /// workspace, server, route or setting.
        public var kind: String
        public var name: String
        /// What changes, field by field (`field: old → new`), for updates.
        public var fields: [String]

        public var description: String {
            let sign =
                switch action {
                case .create: "+"
                case .update: "~"
                case .delete: "-"
                }
            let detail = fields.isEmpty ? "" : ": " + fields.joined(separator: "; ")
            return "\(sign) \(kind) \(name)\(detail)"
        }
    }

    /// The stored configuration as a document: every workspace, server, route and auth scope
    /// (secret names, never values), and the settings stored away from their defaults.
    public func export() throws(StoreError) -> ConfigDocument {
        try database.read { db in try Self.document(db) }
    }

    /// The changes `document` would make, checked exactly as applying checks them; nothing is
    /// written. Throws what applying would throw.
    public func plan(_ document: ConfigDocument) throws(StoreError) -> [Change] {
        try apply(document, dryRun: true)
    }

    /// Applies `document` in one transaction: every change, or none when one is refused.
    /// With `dryRun` the transaction is rolled back, so the answer is the same validation and
    /// diff without a write.
    @discardableResult
    public func apply(_ document: ConfigDocument, dryRun: Bool = false) throws(StoreError) -> [Change] {
        BlockingAllowed.check("write")
        do {
            return try database.writer.writeWithoutTransaction { db -> [Change] in
                var applier = Applier(database: database, db: db)
                try db.inTransaction {
                    let changes = try applier.apply(document)
                    if dryRun { return .rollback }
                    if !changes.isEmpty {
                        // What changed, by kind and name; never values (a server's env may be secret).
                        let summary = changes.map { JSONValue.string("\($0.action.rawValue) \($0.kind) \($0.name)") }
                        try AuditRecord.configChange(
                            "config/applied", name: "config", details: ["changes": .array(summary)], db)
                    }
                    return .commit
                }
                return applier.changes
            }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    static func document(_ db: Database) throws -> ConfigDocument {
        let workspaces = try Workspace.order(Column("name")).fetchAll(db)
        let servers = try Downstream.order(Column("name")).fetchAll(db)
        let scopes = try AuthScopeRecord.order(Column("name")).fetchAll(db).map(\.scope)
        let providers = try Dictionary(
            Row.fetchAll(db, sql: "SELECT id, name FROM oauth_providers").map {
                ($0["id"] as String, $0["name"] as String)
            },
            uniquingKeysWith: { first, _ in first })
        let rules = try RouteRule.order(Column("workspace_id"), Column("priority").desc, Column("id")).fetchAll(db)
        let workspaceNames = Dictionary(workspaces.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let serverNames = Dictionary(servers.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let scopeNames = Dictionary(scopes.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        let stored = try Row.fetchAll(db, sql: "SELECT key, value FROM settings ORDER BY key")
        var settings: [String: JSONValue] = [:]
        for row in stored {
            let key: String = row["key"]
            let json: String = row["value"]
            if let value = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) { settings[key] = value }
        }
        return ConfigDocument(
            workspaces: workspaces.map(Self.entry),
            servers: servers.map(Self.entry),
            routes: rules.map { rule in
                Self.entry(
                    rule, workspace: rule.workspaceId.flatMap { workspaceNames[$0] },
                    server: rule.downstreamId.flatMap { serverNames[$0] },
                    scope: rule.authScopeId.flatMap { scopeNames[$0] })
            },
            authScopes: scopes.map { scope in
                ConfigDocument.AuthScopeEntry(
                    name: scope.name, server: serverNames[scope.downstreamId] ?? scope.downstreamId, kind: scope.kind,
                    envKeys: scope.envKeys.sorted(), headerKeys: scope.headerKeys.sorted(),
                    oauthProvider: scope.oauthProviderId.flatMap { providers[$0] })
            },
            settings: settings)
    }

    static func entry(_ workspace: Workspace) -> ConfigDocument.WorkspaceEntry {
        ConfigDocument.WorkspaceEntry(
            name: workspace.name, rootPath: workspace.rootPath, defaultPolicy: workspace.defaultPolicy,
            tags: workspace.tags)
    }

    static func entry(_ server: Downstream) -> ConfigDocument.ServerEntry {
        ConfigDocument.ServerEntry(
            name: server.name, namespace: server.namespace, transport: server.transport, command: server.command,
            args: server.args, env: server.env, cwd: server.cwd, url: server.url, headers: server.headers,
            httpTransport: server.httpTransport, enabled: server.enabled, quarantined: server.quarantined,
            instanceMode: server.instanceMode, idleTimeoutSec: server.idleTimeoutSec,
            callTimeoutSec: server.callTimeoutSec, tags: server.tags)
    }

    static func entry(_ rule: RouteRule, workspace: String?, server: String?, scope: String?)
        -> ConfigDocument.RouteEntry
    {
        ConfigDocument.RouteEntry(
            name: rule.name, workspace: workspace, pathGlob: rule.pathGlob, toolPattern: rule.toolPattern,
            server: server, authScope: scope, policy: rule.policy, priority: rule.priority,
            approvalTimeoutSec: rule.approvalTimeoutSec, cacheTTLSec: rule.cacheTTLSec, enabled: rule.enabled)
    }
}
