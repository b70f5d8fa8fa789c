import Foundation

/// One routing rule. In a scope (a workspace, or global when `workspaceId` is nil) the enabled rules
/// whose `toolPattern` matches the client-visible tool name and whose `pathGlob` matches the
/// client's subpath are ordered by priority, specificity and id; the first decides.
public struct RouteRule: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var name: String?
    /// nil: a global rule.
    public var workspaceId: String?
    /// Path glob over the subpath of the client root inside the workspace (`**` spans segments).
    public var pathGlob: String
    /// Glob over client-visible tool names (`github__*`).
    public var toolPattern: String
    /// nil: the downstream owning the tool's namespace serves the call.
    public var downstreamId: String?
    public var authScopeId: String?
    public var policy: Policy
    public var priority: Int
    public var approvalTimeoutSec: Int?
    public var cacheTTLSec: Int?
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    public static let defaultPathGlob = "**"

    public init(
        id: String = ULID.make(),
        name: String? = nil,
        workspaceId: String? = nil,
        pathGlob: String = RouteRule.defaultPathGlob,
        toolPattern: String,
        downstreamId: String? = nil,
        authScopeId: String? = nil,
        policy: Policy = .allow,
        priority: Int = 0,
        approvalTimeoutSec: Int? = nil,
        cacheTTLSec: Int? = nil,
        enabled: Bool = true,
        createdAt: Date = Date(),
        updatedAt: Date = Date()
    ) {
        self.id = id
        self.name = name
        self.workspaceId = workspaceId
        self.pathGlob = pathGlob
        self.toolPattern = toolPattern
        self.downstreamId = downstreamId
        self.authScopeId = authScopeId
        self.policy = policy
        self.priority = priority
        self.approvalTimeoutSec = approvalTimeoutSec
        self.cacheTTLSec = cacheTTLSec
        self.enabled = enabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, policy, priority, enabled
        case workspaceId = "workspace_id"
        case pathGlob = "path_glob"
        case toolPattern = "tool_pattern"
        case downstreamId = "server_id"
        case authScopeId = "auth_scope_id"
        case approvalTimeoutSec = "approval_timeout_sec"
        case cacheTTLSec = "cache_ttl_sec"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Every key is written, absent values as `null`, so API clients see one stable shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(workspaceId, forKey: .workspaceId)
        try container.encode(pathGlob, forKey: .pathGlob)
        try container.encode(toolPattern, forKey: .toolPattern)
        try container.encode(downstreamId, forKey: .downstreamId)
        try container.encode(authScopeId, forKey: .authScopeId)
        try container.encode(policy, forKey: .policy)
        try container.encode(priority, forKey: .priority)
        try container.encode(approvalTimeoutSec, forKey: .approvalTimeoutSec)
        try container.encode(cacheTTLSec, forKey: .cacheTTLSec)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
