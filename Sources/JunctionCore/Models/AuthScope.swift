import Foundation

/// Credentials a downstream is started or called with. The secret values never leave the store
/// unsealed except to start the downstream; this type carries only which keys are set.
public struct AuthScope: Encodable, Sendable, Hashable, Identifiable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case env
        case oauth
    }

    public var id: String
    public var name: String
    public var downstreamId: String
    public var kind: Kind
    /// Names of the secret environment variables that are set (values are sealed).
    public var envKeys: [String]
    /// Names of the secret HTTP headers that are set (values are sealed).
    public var headerKeys: [String]
    public var oauthProviderId: String?
    /// Extra argument/field names whose values are redacted from audit records.
    public var redactionHints: [String]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String = ULID.make(),
        name: String,
        downstreamId: String,
        kind: Kind = .env,
        envKeys: [String] = [],
        headerKeys: [String] = [],
        oauthProviderId: String? = nil,
        redactionHints: [String] = [],
        createdAt: Date = Date(),
        updatedAt: Date = Date()
    ) {
        self.id = id
        self.name = name
        self.downstreamId = downstreamId
        self.kind = kind
        self.envKeys = envKeys
        self.headerKeys = headerKeys
        self.oauthProviderId = oauthProviderId
        self.redactionHints = redactionHints
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, kind
        case downstreamId = "server_id"
        case envVars = "env_vars"
        case headers
        case envKeys = "env_keys"
        case headerKeys = "header_keys"
        case oauthProviderId = "oauth_provider_id"
        case redactionHints = "redaction_hints"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Secrets are write-only: the encoded form says which keys are set (`"set"`), never values.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        try container.encode(downstreamId, forKey: .downstreamId)
        try container.encode(
            Dictionary(envKeys.map { ($0, "set") }, uniquingKeysWith: { first, _ in first }), forKey: .envVars)
        try container.encode(
            Dictionary(headerKeys.map { ($0, "set") }, uniquingKeysWith: { first, _ in first }), forKey: .headers)
        try container.encode(envKeys, forKey: .envKeys)
        try container.encode(headerKeys, forKey: .headerKeys)
        try container.encode(oauthProviderId, forKey: .oauthProviderId)
        try container.encode(redactionHints, forKey: .redactionHints)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
