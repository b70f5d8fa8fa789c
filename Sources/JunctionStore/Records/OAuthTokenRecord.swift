import Foundation
import GRDB
import JunctionCore

/// The stored form of an auth scope's token: what is known of it plus the sealed tokens.
struct OAuthTokenRecord: FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "oauth_tokens"

    var id: String
    var info: OAuthTokenInfo
    var accessTokenSealed: Data
    var refreshTokenSealed: Data?
    var createdAt: Date

    init(id: String, info: OAuthTokenInfo, accessTokenSealed: Data, refreshTokenSealed: Data?, createdAt: Date) {
        self.id = id
        self.info = info
        self.accessTokenSealed = accessTokenSealed
        self.refreshTokenSealed = refreshTokenSealed
        self.createdAt = createdAt
    }

    init(row: Row) throws {
        id = row["id"]
        accessTokenSealed = row["access_token_sealed"]
        refreshTokenSealed = row["refresh_token_sealed"]
        createdAt = row["created_at"]
        info = OAuthTokenInfo(
            authScopeId: row["auth_scope_id"], tokenType: row["token_type"], scopes: try row.json("scopes"),
            resource: row["resource"], hasRefreshToken: refreshTokenSealed != nil, issuedAt: row["issued_at"],
            expiresAt: row["expires_at"], lastError: row["last_error"], lastErrorAt: row["last_error_at"],
            updatedAt: row["updated_at"])
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["auth_scope_id"] = info.authScopeId
        container["access_token_sealed"] = accessTokenSealed
        container["refresh_token_sealed"] = refreshTokenSealed
        container["token_type"] = info.tokenType
        container["scopes"] = JSONColumn.encode(info.scopes)
        container["resource"] = info.resource
        container["issued_at"] = info.issuedAt
        container["expires_at"] = info.expiresAt
        container["last_error"] = info.lastError
        container["last_error_at"] = info.lastErrorAt
        container["created_at"] = createdAt
        container["updated_at"] = info.updatedAt
    }
}
