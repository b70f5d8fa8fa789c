import Foundation
import GRDB
import JunctionCore

/// The stored form of an auth scope: the public model plus its sealed secret blobs, which never
/// leave the store except through `AuthScopeRepository.secrets(of:)`.
struct AuthScopeRecord: FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "auth_scopes"

    var scope: AuthScope
    var envSealed: Data?
    var headersSealed: Data?

    init(scope: AuthScope, envSealed: Data?, headersSealed: Data?) {
        self.scope = scope
        self.envSealed = envSealed
        self.headersSealed = headersSealed
    }

    init(row: Row) throws {
        scope = AuthScope(
            id: row["id"],
            name: row["name"],
            downstreamId: row["downstream_id"],
            kind: try row.enumValue("kind"),
            envKeys: try row.json("env_keys"),
            headerKeys: try row.json("header_keys"),
            oauthProviderId: row["oauth_provider_id"],
            redactionHints: try row.json("redaction_hints"),
            createdAt: row["created_at"],
            updatedAt: row["updated_at"]
        )
        envSealed = row["env_sealed"]
        headersSealed = row["headers_sealed"]
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = scope.id
        container["name"] = scope.name
        container["downstream_id"] = scope.downstreamId
        container["kind"] = scope.kind.rawValue
        container["env_sealed"] = envSealed
        container["env_keys"] = JSONColumn.encode(scope.envKeys)
        container["headers_sealed"] = headersSealed
        container["header_keys"] = JSONColumn.encode(scope.headerKeys)
        container["oauth_provider_id"] = scope.oauthProviderId
        container["redaction_hints"] = JSONColumn.encode(scope.redactionHints)
        container["created_at"] = scope.createdAt
        container["updated_at"] = scope.updatedAt
    }
}
