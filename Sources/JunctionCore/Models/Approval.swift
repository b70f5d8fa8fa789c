import Foundation

/// A tool call parked for a person's decision (a rule with policy `approve`), and how it ended.
public struct Approval: Sendable, Hashable, Encodable, Identifiable {
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        case pending
        case approved
        case denied
        case timedOut = "timed_out"
        case cancelled
        /// Still pending when the daemon that held the call stopped.
        case expired
    }

    /// What an approval also allows from now on.
    public enum Remember: String, Sendable, Hashable, Codable, CaseIterable {
        case none
        /// Later calls of the same tool in the same session go through.
        case session
        /// An allow rule for the tool in the call's workspace.
        case workspace
    }

    public var id: String
    public var createdAt: Date
    public var sessionId: String?
    public var clientName: String?
    public var workspaceId: String?
    public var workspaceName: String?
    public var toolName: String
    public var downstreamId: String?
    public var downstreamName: String?
    public var ruleId: String?
    /// The call's arguments, redacted, as JSON text.
    public var params: String?
    public var status: Status
    public var timeoutSec: Int
    public var expiresAt: Date
    /// The reviewer's note (or why the call ended without one).
    public var resolution: String?
    public var resolvedBy: String?
    public var remember: Remember
    public var resolvedAt: Date?

    public init(
        id: String = ULID.make(), createdAt: Date = Date(), sessionId: String?, clientName: String?,
        workspaceId: String?, workspaceName: String?, toolName: String, downstreamId: String?,
        downstreamName: String?, ruleId: String?, params: String?, status: Status = .pending, timeoutSec: Int,
        expiresAt: Date? = nil, resolution: String? = nil, resolvedBy: String? = nil, remember: Remember = .none,
        resolvedAt: Date? = nil
    ) {
        self.id = id
        self.createdAt = createdAt
        self.sessionId = sessionId
        self.clientName = clientName
        self.workspaceId = workspaceId
        self.workspaceName = workspaceName
        self.toolName = toolName
        self.downstreamId = downstreamId
        self.downstreamName = downstreamName
        self.ruleId = ruleId
        self.params = params
        self.status = status
        self.timeoutSec = timeoutSec
        self.expiresAt = expiresAt ?? createdAt.addingTimeInterval(TimeInterval(timeoutSec))
        self.resolution = resolution
        self.resolvedBy = resolvedBy
        self.remember = remember
        self.resolvedAt = resolvedAt
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, params, status, resolution, remember
        case createdAt = "created_at"
        case sessionId = "session_id"
        case clientName = "client_name"
        case workspaceId = "workspace_id"
        case workspaceName = "workspace_name"
        case toolName = "tool_name"
        case downstreamId = "server_id"
        case downstreamName = "server_name"
        case ruleId = "rule_id"
        case timeoutSec = "timeout_sec"
        case expiresAt = "expires_at"
        case resolvedBy = "resolved_by"
        case resolvedAt = "resolved_at"
    }

    /// Every key is written, absent values as `null`; `params` is embedded as JSON.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(sessionId, forKey: .sessionId)
        try container.encode(clientName, forKey: .clientName)
        try container.encode(workspaceId, forKey: .workspaceId)
        try container.encode(workspaceName, forKey: .workspaceName)
        try container.encode(toolName, forKey: .toolName)
        try container.encode(downstreamId, forKey: .downstreamId)
        try container.encode(downstreamName, forKey: .downstreamName)
        try container.encode(ruleId, forKey: .ruleId)
        let embedded = params.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
        try container.encode(embedded, forKey: .params)
        try container.encode(status, forKey: .status)
        try container.encode(timeoutSec, forKey: .timeoutSec)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(resolution, forKey: .resolution)
        try container.encode(resolvedBy, forKey: .resolvedBy)
        try container.encode(remember, forKey: .remember)
        try container.encode(resolvedAt, forKey: .resolvedAt)
    }
}
