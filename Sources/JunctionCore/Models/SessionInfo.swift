import Foundation

/// One client connection to the gateway, as recorded in the `sessions` table.
public struct SessionInfo: Sendable, Hashable, Encodable, Identifiable {
    /// How the client reached Junction.
    public enum Transport: String, Codable, Sendable, CaseIterable {
        /// `junction stdio --embedded`: the engine runs in the client's process.
        case stdio
        /// `junction stdio` through the daemon's unix socket.
        case socket
        /// Streamable HTTP at `/mcp`.
        case http
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        case active
        case closed
    }

    public var id: String
    public var clientName: String?
    public var clientVersion: String?
    public var protocolVersion: String?
    public var transport: Transport
    public var clientRoot: String?
    public var workspaceId: String?
    public var status: Status
    public var startedAt: Date
    public var lastSeenAt: Date
    /// Set when the session closes.
    public var endedAt: Date?

    public init(
        id: String = ULID.make(),
        clientName: String? = nil,
        clientVersion: String? = nil,
        protocolVersion: String? = nil,
        transport: Transport = .stdio,
        clientRoot: String? = nil,
        workspaceId: String? = nil,
        status: Status = .active,
        startedAt: Date = Date(),
        lastSeenAt: Date? = nil,
        endedAt: Date? = nil
    ) {
        self.id = id
        self.clientName = clientName
        self.clientVersion = clientVersion
        self.protocolVersion = protocolVersion
        self.transport = transport
        self.clientRoot = clientRoot
        self.workspaceId = workspaceId
        self.status = status
        self.startedAt = startedAt
        self.lastSeenAt = lastSeenAt ?? startedAt
        self.endedAt = endedAt
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, transport, status
        case clientName = "client_name"
        case clientVersion = "client_version"
        case protocolVersion = "protocol_version"
        case clientRoot = "client_root"
        case workspaceId = "workspace_id"
        case startedAt = "started_at"
        case lastSeenAt = "last_seen_at"
        case endedAt = "ended_at"
    }

    /// Every key is written, absent values as `null`, so API clients see one stable shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(clientName, forKey: .clientName)
        try container.encode(clientVersion, forKey: .clientVersion)
        try container.encode(protocolVersion, forKey: .protocolVersion)
        try container.encode(transport, forKey: .transport)
        try container.encode(clientRoot, forKey: .clientRoot)
        try container.encode(workspaceId, forKey: .workspaceId)
        try container.encode(status, forKey: .status)
        try container.encode(startedAt, forKey: .startedAt)
        try container.encode(lastSeenAt, forKey: .lastSeenAt)
        try container.encode(endedAt, forKey: .endedAt)
    }
}
