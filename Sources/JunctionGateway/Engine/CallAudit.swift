import Foundation
import JunctionCore

/// What the gateway knows about one tool call, turned into an audit record when it ends.
public struct CallAudit: Sendable {
    public var id = ULID.make()
    public var createdAt = Date()
    public var sessionId: String
    public var clientName: String?
    public var workspaceId: String?
    public var workspaceName: String?
    public var clientRoot: String?
    public var toolName: String
    public var downstreamId: String?
    public var downstreamName: String?
    public var authScopeId: String?
    public var ruleId: String?
    public var decision: Policy
    public var status = "ok"
    public var errorCode: Int?
    public var errorMessage: String?
    /// Redacted arguments.
    public var params: RawJSON?
    public var paramsBytes = 0
    public var resultBytes = 0
    public var latency: Duration = .zero
    public var cacheHit = false
}
