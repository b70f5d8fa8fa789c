import Foundation

/// How Junction is known to one OAuth authorization server: a client id (and, sealed in the
/// store, a client secret) with the server's endpoints. The encoded form says whether a secret is
/// set (`"set"`), never its value.
public struct OAuthProvider: Encodable, Sendable, Hashable, Identifiable {
    /// Where the client id came from.
    public enum Registration: String, Codable, Sendable, CaseIterable {
        /// Configured by the user (a pre-registered app).
        case manual
        /// Registered by Junction at the server's registration endpoint (RFC 7591).
        case dynamic
        /// The client id is the URL of a client metadata document.
        case metadataDocument = "metadata_document"
    }

    /// How the client authenticates at the token endpoint.
    public enum TokenAuthMethod: String, Codable, Sendable, CaseIterable {
        case clientSecretBasic = "client_secret_basic"
        case clientSecretPost = "client_secret_post"
        case none
    }

    public var id: String
    public var name: String
    /// The authorization server's issuer identifier, when known (discovery matches on it).
    public var issuer: String?
    public var authURL: String
    public var tokenURL: String
    public var revocationURL: String?
    public var deviceAuthorizationURL: String?
    public var clientId: String
    public var hasClientSecret: Bool
    public var scopes: [String]
    public var registration: Registration
    public var tokenAuthMethod: TokenAuthMethod
    public var redirectURIs: [String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String = ULID.make(), name: String, issuer: String? = nil, authURL: String, tokenURL: String,
        revocationURL: String? = nil, deviceAuthorizationURL: String? = nil, clientId: String,
        hasClientSecret: Bool = false, scopes: [String] = [], registration: Registration = .manual,
        tokenAuthMethod: TokenAuthMethod = .clientSecretPost, redirectURIs: [String] = [],
        createdAt: Date = Date(), updatedAt: Date = Date()
    ) {
        self.id = id
        self.name = name
        self.issuer = issuer
        self.authURL = authURL
        self.tokenURL = tokenURL
        self.revocationURL = revocationURL
        self.deviceAuthorizationURL = deviceAuthorizationURL
        self.clientId = clientId
        self.hasClientSecret = hasClientSecret
        self.scopes = scopes
        self.registration = registration
        self.tokenAuthMethod = tokenAuthMethod
        self.redirectURIs = redirectURIs
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, issuer, scopes, registration
        case authURL = "auth_url"
        case tokenURL = "token_url"
        case revocationURL = "revocation_url"
        case deviceAuthorizationURL = "device_authorization_url"
        case clientId = "client_id"
        case clientSecret = "client_secret"
        case tokenAuthMethod = "token_auth_method"
        case redirectURIs = "redirect_uris"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(issuer, forKey: .issuer)
        try container.encode(authURL, forKey: .authURL)
        try container.encode(tokenURL, forKey: .tokenURL)
        try container.encode(revocationURL, forKey: .revocationURL)
        try container.encode(deviceAuthorizationURL, forKey: .deviceAuthorizationURL)
        try container.encode(clientId, forKey: .clientId)
        try container.encode(hasClientSecret ? "set" : nil, forKey: .clientSecret)
        try container.encode(scopes, forKey: .scopes)
        try container.encode(registration, forKey: .registration)
        try container.encode(tokenAuthMethod, forKey: .tokenAuthMethod)
        try container.encode(redirectURIs, forKey: .redirectURIs)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

/// What is known of an auth scope's OAuth token, without the token: for status displays.
public struct OAuthTokenInfo: Encodable, Sendable, Hashable {
    public var authScopeId: String
    public var tokenType: String
    public var scopes: [String]
    public var resource: String?
    public var hasRefreshToken: Bool
    public var issuedAt: Date?
    public var expiresAt: Date?
    public var lastError: String?
    public var lastErrorAt: Date?
    public var updatedAt: Date

    public init(
        authScopeId: String, tokenType: String = "Bearer", scopes: [String] = [], resource: String? = nil,
        hasRefreshToken: Bool = false, issuedAt: Date? = nil, expiresAt: Date? = nil, lastError: String? = nil,
        lastErrorAt: Date? = nil, updatedAt: Date = Date()
    ) {
        self.authScopeId = authScopeId
        self.tokenType = tokenType
        self.scopes = scopes
        self.resource = resource
        self.hasRefreshToken = hasRefreshToken
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.updatedAt = updatedAt
    }

    /// Valid (not expired), expired but refreshable, or expired for good.
    public func state(at now: Date = Date()) -> String {
        guard let expiresAt, expiresAt <= now else { return "valid" }
        return hasRefreshToken ? "refreshable" : "expired"
    }

    enum CodingKeys: String, CodingKey {
        case authScopeId = "auth_scope_id"
        case tokenType = "token_type"
        case scopes, resource
        case hasRefreshToken = "has_refresh_token"
        case issuedAt = "issued_at"
        case expiresAt = "expires_at"
        case lastError = "last_error"
        case lastErrorAt = "last_error_at"
        case updatedAt = "updated_at"
    }
}
