import Foundation
import GRDB
import JunctionCore

/// OAuth providers: configured apps and the clients Junction registered itself. The client secret
/// is sealed with the `SecretBox` on the way in and comes out only through ``clientSecret(of:)``.
public struct OAuthProviderRepository: Sendable {
    public let database: AppDatabase
    /// Needed only to seal or open client secrets.
    public let box: SecretBox?

    public init(_ database: AppDatabase, box: SecretBox?) {
        self.database = database
        self.box = box
    }

    /// Creates a provider; `clientSecret` (nil: a public client) is sealed.
    @discardableResult
    public func create(_ provider: OAuthProvider, clientSecret: String?) throws(StoreError) -> OAuthProvider {
        do { try Self.validate(provider) } catch { throw .invalid(error) }
        return try database.write { db in
            try Lookup.ensureUnique(
                db, table: "oauth_providers", column: "name", value: provider.name, excludingId: nil,
                kind: "oauth provider")
            let record = try seal(provider, clientSecret: clientSecret)
            try record.insert(db)
            return record.provider
        }
    }

    /// Replaces a provider's fields; `clientSecret` nil keeps the stored secret, `""` removes it.
    @discardableResult
    public func update(_ idOrName: String, _ change: (inout OAuthProvider) -> Void, clientSecret: String? = nil)
        throws(StoreError) -> OAuthProvider
    {
        try database.write { db in
            guard var record = try Lookup.byIdOrName(OAuthProviderRecord.self, db, idOrName) else {
                throw StoreError.notFound(kind: "oauth provider", key: idOrName)
            }
            var provider = record.provider
            change(&provider)
            provider.id = record.provider.id
            provider.createdAt = record.provider.createdAt
            provider.updatedAt = Date()
            do throws(ValidationError) { try Self.validate(provider) } catch { throw StoreError.invalid(error) }
            try Lookup.ensureUnique(
                db, table: "oauth_providers", column: "name", value: provider.name, excludingId: provider.id,
                kind: "oauth provider")
            if let clientSecret {
                record = try seal(provider, clientSecret: clientSecret.isEmpty ? nil : clientSecret)
            } else {
                record.provider = provider
                record.provider.hasClientSecret = record.clientSecretSealed != nil
            }
            try record.update(db)
            return record.provider
        }
    }

    public func list() throws(StoreError) -> [OAuthProvider] {
        try database.read { db in try OAuthProviderRecord.order(Column("name")).fetchAll(db).map(\.provider) }
    }

    public func find(_ idOrName: String) throws(StoreError) -> OAuthProvider? {
        try database.read { db in try Lookup.byIdOrName(OAuthProviderRecord.self, db, idOrName)?.provider }
    }

    public func get(_ idOrName: String) throws(StoreError) -> OAuthProvider {
        guard let provider = try find(idOrName) else { throw .notFound(kind: "oauth provider", key: idOrName) }
        return provider
    }

    /// The configured provider for an authorization server: the one whose issuer is `issuer`,
    /// else the one whose authorization endpoint is `authURL`. Clients Junction registered itself
    /// belong to one server each and are never matched.
    public func match(issuer: String?, authURL: String) throws(StoreError) -> OAuthProvider? {
        let configured = try list().filter { $0.registration == .manual }
        if let issuer = issuer.map(Self.trimmed),
            let byIssuer = configured.first(where: { $0.issuer.map(Self.trimmed) == issuer })
        {
            return byIssuer
        }
        return configured.first { Self.trimmed($0.authURL) == Self.trimmed(authURL) }
    }

    /// The unsealed client secret (nil for a public client). Never print it.
    public func clientSecret(of idOrName: String) throws(StoreError) -> String? {
        let record = try database.read { db in try Lookup.byIdOrName(OAuthProviderRecord.self, db, idOrName) }
        guard let record else { throw .notFound(kind: "oauth provider", key: idOrName) }
        guard let sealed = record.clientSecretSealed else { return nil }
        return try requireBox().openJSON(String.self, from: sealed, context: Self.context(record.provider.id))
    }

    /// Deletes a provider; one an auth scope uses cannot be deleted (`inUse`).
    @discardableResult
    public func delete(_ idOrName: String) throws(StoreError) -> OAuthProvider {
        try database.write { db in
            guard let record = try Lookup.byIdOrName(OAuthProviderRecord.self, db, idOrName) else {
                throw StoreError.notFound(kind: "oauth provider", key: idOrName)
            }
            let users = try String.fetchAll(
                db, sql: "SELECT name FROM auth_scopes WHERE oauth_provider_id = ? ORDER BY name",
                arguments: [record.provider.id])
            if !users.isEmpty {
                throw StoreError.inUse(
                    kind: "oauth provider", name: record.provider.name, dependents: users.map { "scope \($0)" })
            }
            try record.delete(db)
            return record.provider
        }
    }

    static func validate(_ provider: OAuthProvider) throws(ValidationError) {
        try Validate.name(provider.name, kind: "oauth provider")
        for (field, url) in [("auth_url", provider.authURL), ("token_url", provider.tokenURL)] {
            try Self.validateURL(url, field: field)
        }
        for (field, url) in [
            ("revocation_url", provider.revocationURL), ("device_authorization_url", provider.deviceAuthorizationURL),
        ] {
            if let url { try Self.validateURL(url, field: field) }
        }
        guard !provider.clientId.isEmpty, provider.clientId.count <= 2048 else {
            throw ValidationError(field: "client_id", message: "client_id is required (at most 2048 characters)")
        }
    }

    /// An http(s) URL with a host.
    public static func validateURL(_ text: String, field: String) throws(ValidationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            scheme == "https" || scheme == "http", components.host?.isEmpty == false
        else {
            throw ValidationError(field: field, message: "\(field) must be an http(s) URL, got '\(text.prefix(200))'")
        }
    }

    private static func trimmed(_ url: String) -> String {
        url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    private func requireBox() throws(StoreError) -> SecretBox {
        guard let box else { throw .secretKey("no secret key loaded: secrets cannot be sealed or opened") }
        return box
    }

    private func seal(_ provider: OAuthProvider, clientSecret: String?) throws(StoreError) -> OAuthProviderRecord {
        var provider = provider
        provider.hasClientSecret = clientSecret != nil
        guard let clientSecret else { return OAuthProviderRecord(provider: provider, clientSecretSealed: nil) }
        let sealed = try requireBox().sealJSON(clientSecret, context: Self.context(provider.id))
        return OAuthProviderRecord(provider: provider, clientSecretSealed: sealed)
    }

    static func context(_ id: String) -> String { "oauth_providers/\(id)/client_secret" }
}
