import Foundation

/// A named key a client presents to reach Junction over HTTP (`/mcp`, `/rpc`): one per person or
/// agent, optionally bound to a workspace. Only the SHA-256 of the key is stored; `prefix` (its
/// first characters) helps tell keys apart in a listing.
public struct ClientKey: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var name: String
    /// Lowercase hex SHA-256 of the key.
    public var keyHash: String
    /// The key's first characters, shown in listings.
    public var prefix: String
    /// The workspace every session made with this key routes from (nil: chosen per request).
    public var workspaceId: String?
    public var createdAt: Date

    public init(
        id: String = ULID.make(), name: String, keyHash: String, prefix: String, workspaceId: String? = nil,
        createdAt: Date = Date()
    ) {
        self.id = id
        self.name = name
        self.keyHash = keyHash
        self.prefix = prefix
        self.workspaceId = workspaceId
        self.createdAt = createdAt
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, prefix
        case keyHash = "key_hash"
        case workspaceId = "workspace_id"
        case createdAt = "created_at"
    }
}
