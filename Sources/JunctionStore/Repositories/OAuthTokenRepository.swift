import Foundation
import GRDB
import JunctionCore

/// The OAuth tokens of auth scopes, one per scope, sealed with the `SecretBox`. Every read but
/// ``tokens(of:)`` returns ``OAuthTokenInfo``, which holds no token.
public struct OAuthTokenRepository: Sendable {
    public let database: AppDatabase
    public let box: SecretBox?

    public init(_ database: AppDatabase, box: SecretBox?) {
        self.database = database
        self.box = box
    }

    /// A scope's tokens, unsealed. Never print them.
    public struct Tokens: Sendable, Equatable {
        public var accessToken: String
        public var refreshToken: String?
        public var tokenType: String
        public var scopes: [String]
        public var resource: String?
        public var issuedAt: Date
        public var expiresAt: Date?

        public init(
            accessToken: String, refreshToken: String?, tokenType: String = "Bearer", scopes: [String] = [],
            resource: String? = nil, issuedAt: Date = Date(), expiresAt: Date?
        ) {
            self.accessToken = accessToken
            self.refreshToken = refreshToken
            self.tokenType = tokenType
            self.scopes = scopes
            self.resource = resource
            self.issuedAt = issuedAt
            self.expiresAt = expiresAt
        }
    }

    /// Stores (or replaces) a scope's tokens and clears its last error.
    public func save(_ tokens: Tokens, scopeId: String) throws(StoreError) {
        let box = try requireBox()
        let access = try box.sealJSON(tokens.accessToken, context: Self.context(scopeId, "access"))
        let refresh = try tokens.refreshToken.map { token throws(StoreError) in
            try box.sealJSON(token, context: Self.context(scopeId, "refresh"))
        }
        try database.write { db in
            let existing = try OAuthTokenRecord.filter(Column("auth_scope_id") == scopeId).fetchOne(db)
            let now = Date()
            let info = OAuthTokenInfo(
                authScopeId: scopeId, tokenType: tokens.tokenType, scopes: tokens.scopes, resource: tokens.resource,
                hasRefreshToken: refresh != nil, issuedAt: tokens.issuedAt, expiresAt: tokens.expiresAt,
                updatedAt: now)
            let record = OAuthTokenRecord(
                id: existing?.id ?? ULID.make(), info: info, accessTokenSealed: access, refreshTokenSealed: refresh,
                createdAt: existing?.createdAt ?? now)
            try record.save(db)
        }
    }

    /// The unsealed tokens of a scope, nil when none are stored.
    public func tokens(of scopeId: String) throws(StoreError) -> Tokens? {
        let record = try database.read { db in
            try OAuthTokenRecord.filter(Column("auth_scope_id") == scopeId).fetchOne(db)
        }
        guard let record else { return nil }
        let box = try requireBox()
        let access = try box.openJSON(
            String.self, from: record.accessTokenSealed, context: Self.context(scopeId, "access"))
        let refresh = try record.refreshTokenSealed.map { sealed throws(StoreError) in
            try box.openJSON(String.self, from: sealed, context: Self.context(scopeId, "refresh"))
        }
        return Tokens(
            accessToken: access, refreshToken: refresh, tokenType: record.info.tokenType, scopes: record.info.scopes,
            resource: record.info.resource, issuedAt: record.info.issuedAt ?? record.createdAt,
            expiresAt: record.info.expiresAt)
    }

    public func info(of scopeId: String) throws(StoreError) -> OAuthTokenInfo? {
        try database.read { db in
            try OAuthTokenRecord.filter(Column("auth_scope_id") == scopeId).fetchOne(db)?.info
        }
    }

    /// What is known of every stored token, soonest expiry first.
    public func all() throws(StoreError) -> [OAuthTokenInfo] {
        try database.read { db in
            try OAuthTokenRecord.order(Column("expires_at"), Column("auth_scope_id")).fetchAll(db).map(\.info)
        }
    }

    /// Notes why refreshing failed (words only, never a token); the token stays until signed out.
    public func recordFailure(_ reason: String, scopeId: String, at time: Date = Date()) throws(StoreError) {
        try database.write { db in
            try db.execute(
                sql: "UPDATE oauth_tokens SET last_error = ?, last_error_at = ? WHERE auth_scope_id = ?",
                arguments: [String(reason.prefix(1000)), time, scopeId])
        }
    }

    /// Deletes a scope's tokens; returns whether there were any.
    @discardableResult
    public func delete(scopeId: String) throws(StoreError) -> Bool {
        try database.write { db in
            try OAuthTokenRecord.filter(Column("auth_scope_id") == scopeId).deleteAll(db) > 0
        }
    }

    private func requireBox() throws(StoreError) -> SecretBox {
        guard let box else { throw .secretKey("no secret key loaded: secrets cannot be sealed or opened") }
        return box
    }

    static func context(_ scopeId: String, _ field: String) -> String { "oauth_tokens/\(scopeId)/\(field)" }
}
