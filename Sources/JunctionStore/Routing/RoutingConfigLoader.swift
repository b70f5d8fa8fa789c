import Foundation
import GRDB
import JunctionCore

/// Reads everything routing needs in one consistent snapshot and compiles it.
public struct RoutingConfigLoader: Sendable {
    public let database: AppDatabase
    public let canonicalize: @Sendable (String) -> String

    public init(
        _ database: AppDatabase,
        canonicalize: @escaping @Sendable (String) -> String = PathCanonicalizer.resolvingSymlinks
    ) {
        self.database = database
        self.canonicalize = canonicalize
    }

    public func load() throws(StoreError) -> RoutingConfig {
        let snapshot = try database.read { db in
            (
                generation: try UInt64.fetchOne(db, sql: "SELECT generation FROM config_state WHERE id = 1") ?? 0,
                workspaces: try Workspace.fetchAll(db),
                downstreams: try Downstream.fetchAll(db),
                rules: try RouteRule.fetchAll(db),
                scopes: try AuthScopeRecord.fetchAll(db).map(\.scope),
                defaultPolicyJSON: try String.fetchOne(
                    db, sql: "SELECT value FROM settings WHERE key = 'default_policy'"),
                changedTools: try ToolPin.filter(Column("changed_sha256") != nil).fetchAll(db)
            )
        }
        let defaultPolicy =
            snapshot.defaultPolicyJSON
            .flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)).stringValue }
            .flatMap(Policy.init(rawValue:)) ?? .allow
        // Tools quarantined for a changed definition, unless pinning is off (setting tool_pinning).
        var quarantined: [String: Set<String>] = [:]
        if ToolPinRepository(database).isEnabled() {
            for pin in snapshot.changedTools { quarantined[pin.downstreamId, default: []].insert(pin.name) }
        }
        do {
            return try RoutingConfig(
                generation: snapshot.generation,
                workspaces: snapshot.workspaces,
                downstreams: snapshot.downstreams,
                rules: snapshot.rules,
                authScopes: snapshot.scopes,
                globalDefaultPolicy: defaultPolicy,
                canonicalize: canonicalize,
                quarantinedTools: quarantined)
        } catch {
            throw .database("the stored configuration cannot be compiled: \(error)")
        }
    }
}
