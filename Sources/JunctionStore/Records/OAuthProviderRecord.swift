import Foundation
import GRDB
import JunctionCore

/// The stored form of an OAuth provider: the public model plus its sealed client secret.
struct OAuthProviderRecord: FetchableRecord, PersistableRecord, Sendable {
    static let databaseTableName = "oauth_providers"

    var provider: OAuthProvider
    var clientSecretSealed: Data?

    init(provider: OAuthProvider, clientSecretSealed: Data?) {
        self.provider = provider
        self.clientSecretSealed = clientSecretSealed
    }

    init(row: Row) throws {
        clientSecretSealed = row["client_secret_sealed"]
        provider = OAuthProvider(
            id: row["id"], name: row["name"], issuer: row["issuer"], authURL: row["auth_url"],
            tokenURL: row["token_url"], revocationURL: row["revocation_url"],
            deviceAuthorizationURL: row["device_authorization_url"], clientId: row["client_id"],
            hasClientSecret: clientSecretSealed != nil, scopes: try row.json("scopes"),
            registration: try row.enumValue("registration"), tokenAuthMethod: try row.enumValue("token_auth_method"),
            redirectURIs: try row.json("redirect_uris"), createdAt: row["created_at"], updatedAt: row["updated_at"])
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = provider.id
        container["name"] = provider.name
        container["issuer"] = provider.issuer
        container["auth_url"] = provider.authURL
        container["token_url"] = provider.tokenURL
        container["revocation_url"] = provider.revocationURL
        container["device_authorization_url"] = provider.deviceAuthorizationURL
        container["client_id"] = provider.clientId
        container["client_secret_sealed"] = clientSecretSealed
        container["scopes"] = JSONColumn.encode(provider.scopes)
        container["registration"] = provider.registration.rawValue
        container["token_auth_method"] = provider.tokenAuthMethod.rawValue
        container["redirect_uris"] = JSONColumn.encode(provider.redirectURIs)
        container["created_at"] = provider.createdAt
        container["updated_at"] = provider.updatedAt
    }
}
