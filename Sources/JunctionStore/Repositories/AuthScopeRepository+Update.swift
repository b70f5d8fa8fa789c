import Foundation
import GRDB
import JunctionCore

extension AuthScopeRepository {
    /// Renames a scope, moves it to another server, or replaces its redaction hints, in one
    /// transaction; nil leaves a field as it is. Secrets are untouched (``updateSecrets(_:set:removing:)``
    /// changes those), so no secret key is needed. A scope that route rules use cannot move to
    /// another server (`inUse`): those rules route to its current one.
    @discardableResult
    public func update(
        _ idOrName: String, name: String? = nil, server: String? = nil, redactionHints: [String]? = nil
    ) throws(StoreError) -> AuthScope {
        if let name {
            do { try Validate.name(name, kind: "scope") } catch { throw .invalid(error) }
        }
        return try database.write { db in
            guard var record = try Lookup.byIdOrName(AuthScopeRecord.self, db, idOrName) else {
                throw StoreError.notFound(kind: "scope", key: idOrName)
            }
            if let name {
                try Lookup.ensureUnique(
                    db, table: "auth_scopes", column: "name", value: name, excludingId: record.scope.id, kind: "scope")
                record.scope.name = name
            }
            if let server {
                guard let downstream = try Lookup.byIdOrName(Downstream.self, db, server) else {
                    throw StoreError.notFound(kind: "server", key: server)
                }
                if downstream.id != record.scope.downstreamId {
                    let rules = try RouteRule.filter(Column("auth_scope_id") == record.scope.id)
                        .order(Column("id")).fetchAll(db)
                    if !rules.isEmpty {
                        throw StoreError.inUse(
                            kind: "scope", name: record.scope.name, dependents: rules.map(DownstreamRepository.describe)
                        )
                    }
                    record.scope.downstreamId = downstream.id
                }
            }
            if let redactionHints { record.scope.redactionHints = redactionHints }
            record.scope.updatedAt = Date()
            try record.update(db)
            return record.scope
        }
    }
}
