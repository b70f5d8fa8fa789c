import Foundation
import GRDB
import JunctionCore

extension AuthScopeRepository {
    /// The default name of a server's OAuth scope: `SERVER-oauth`, cut to the 64 characters a
    /// name may have.
    public static func defaultOAuthScopeName(server: String) -> String {
        String(server.prefix(58)) + "-oauth"
    }

    /// The OAuth scope `name` of `server`, created on first sign-in or pointed at `providerId`
    /// (the client signing in) when it exists. An existing env scope of that name is refused:
    /// its secrets would be lost.
    @discardableResult
    public func ensureOAuth(name: String, server: String, providerId: String) throws(StoreError) -> AuthScope {
        do { try Validate.name(name, kind: "scope") } catch { throw .invalid(error) }
        return try database.write { db in
            guard let downstream = try Lookup.byIdOrName(Downstream.self, db, server) else {
                throw StoreError.notFound(kind: "server", key: server)
            }
            if var record = try Lookup.byIdOrName(AuthScopeRecord.self, db, name) {
                guard record.scope.downstreamId == downstream.id else {
                    throw StoreError.invalid(
                        ValidationError(
                            field: "scope", message: "scope '\(name)' belongs to another server; choose another --scope"
                        ))
                }
                guard record.scope.kind == .oauth || (record.envSealed == nil && record.headersSealed == nil) else {
                    throw StoreError.invalid(
                        ValidationError(
                            field: "scope",
                            message: "scope '\(name)' holds environment or header secrets; choose another --scope"))
                }
                if record.scope.kind != .oauth || record.scope.oauthProviderId != providerId {
                    record.scope.kind = .oauth
                    record.scope.oauthProviderId = providerId
                    record.scope.updatedAt = Date()
                    try record.update(db)
                }
                return record.scope
            }
            let scope = AuthScope(name: name, downstreamId: downstream.id, kind: .oauth, oauthProviderId: providerId)
            try AuthScopeRecord(scope: scope, envSealed: nil, headersSealed: nil).insert(db)
            return scope
        }
    }

    /// The OAuth scopes of a server (or of every server), by name.
    public func oauthScopes(downstreamId: String? = nil) throws(StoreError) -> [AuthScope] {
        try list(downstreamId: downstreamId).filter { $0.kind == .oauth }
    }
}
