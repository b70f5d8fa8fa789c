import Foundation

/// One audited call: who asked for which tool, how it was routed, and how it ended. Ids and names
/// are copies, not references, so history neither blocks nor vanishes with configuration.
///
/// The same trail records what changed besides calls (``Kind``): servers added, changed or removed,
/// quarantined or approved, and settings changed. Such a record names what changed in `method`
/// (`server/created`, `server/quarantined`, `setting/updated`, …) and `tool_name` (the server's
/// or the setting's name), with the details as `params`; its decision is `allow`, its status `ok`.
public struct AuditRecord: Sendable, Hashable, Encodable, Identifiable {
    /// What a record is about.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// A client's request (`tools/call`, `resources/read`, …): every record the dashboard counts.
        case call
        /// A server was added, changed, removed, enabled, disabled or restarted.
        case serverChange = "server_change"
        /// A server was quarantined or approved.
        case quarantineChange = "quarantine_change"
        /// A setting changed.
        case configChange = "config_change"
    }

    /// How the call ended.
    public enum Status: String, Codable, Sendable, CaseIterable {
        case ok
        case error
        case denied
        case timeout
        case cancelled
        case approvalDenied = "approval_denied"
        case approvalTimeout = "approval_timeout"
    }

    public var id: String
    public var kind: Kind
    public var createdAt: Date
    public var sessionId: String?
    public var clientName: String?
    public var workspaceId: String?
    public var workspaceName: String?
    public var clientRoot: String?
    /// The JSON-RPC method (`tools/call`, `resources/read`, `prompts/get`, …).
    public var method: String
    /// The client-visible name (`ns__tool`), or the resource URI / prompt name for other methods.
    public var toolName: String
    public var downstreamId: String?
    public var downstreamName: String?
    public var authScopeId: String?
    public var ruleId: String?
    public var decision: Policy
    public var status: Status
    /// The JSON-RPC error code when the call failed.
    public var errorCode: Int?
    public var errorMessage: String?
    /// The call's arguments as redacted JSON text.
    public var params: String?
    /// Size of the arguments as the client sent them (before redaction).
    public var paramsBytes: Int
    /// Size of the result relayed to the client.
    public var resultBytes: Int
    /// Milliseconds with a fraction, so microseconds survive: see ``latencyMicros``.
    public var latencyMs: Double
    public var cacheHit: Bool
    public var approvalId: String?
    /// The client's JSON-RPC request id, as JSON text (`7`, `"abc"`).
    public var requestId: String?

    public static let defaultMethod = "tools/call"

    public init(
        id: String = ULID.make(),
        kind: Kind = .call,
        createdAt: Date = Date(),
        sessionId: String? = nil,
        clientName: String? = nil,
        workspaceId: String? = nil,
        workspaceName: String? = nil,
        clientRoot: String? = nil,
        method: String = AuditRecord.defaultMethod,
        toolName: String,
        downstreamId: String? = nil,
        downstreamName: String? = nil,
        authScopeId: String? = nil,
        ruleId: String? = nil,
        decision: Policy,
        status: Status,
        errorCode: Int? = nil,
        errorMessage: String? = nil,
        params: String? = nil,
        paramsBytes: Int = 0,
        resultBytes: Int = 0,
        latencyMs: Double = 0,
        cacheHit: Bool = false,
        approvalId: String? = nil,
        requestId: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.createdAt = createdAt
        self.sessionId = sessionId
        self.clientName = clientName
        self.workspaceId = workspaceId
        self.workspaceName = workspaceName
        self.clientRoot = clientRoot
        self.method = method
        self.toolName = toolName
        self.downstreamId = downstreamId
        self.downstreamName = downstreamName
        self.authScopeId = authScopeId
        self.ruleId = ruleId
        self.decision = decision
        self.status = status
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.params = params
        self.paramsBytes = paramsBytes
        self.resultBytes = resultBytes
        self.latencyMs = latencyMs
        self.cacheHit = cacheHit
        self.approvalId = approvalId
        self.requestId = requestId
    }

    /// The latency in whole microseconds (stored as fractional milliseconds).
    public var latencyMicros: Int64 {
        get {
            let micros = (latencyMs * 1000).rounded()
            return micros.isFinite && micros >= 0 ? Int64(min(micros, Double(Int64.max / 2))) : 0
        }
        set { latencyMs = Double(max(0, newValue)) / 1000 }
    }

    /// Sets ``latencyMs`` from a measured duration, to the microsecond.
    public mutating func setLatency(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (micros, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        latencyMicros = overflow ? Int64.max / 2 : micros + attoseconds / 1_000_000_000_000
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, kind, method, decision, status, params
        case createdAt = "created_at"
        case sessionId = "session_id"
        case clientName = "client_name"
        case workspaceId = "workspace_id"
        case workspaceName = "workspace_name"
        case clientRoot = "client_root"
        case toolName = "tool_name"
        case downstreamId = "server_id"
        case downstreamName = "server_name"
        case authScopeId = "auth_scope_id"
        case ruleId = "rule_id"
        case errorCode = "error_code"
        case errorMessage = "error_message"
        case paramsBytes = "params_bytes"
        case resultBytes = "result_bytes"
        case latencyMs = "latency_ms"
        case latencyMicros = "latency_us"
        case cacheHit = "cache_hit"
        case approvalId = "approval_id"
        case requestId = "request_id"
    }

    /// Every key is written, absent values as `null`; `params` is embedded as JSON, not a string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(kind, forKey: .kind)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(sessionId, forKey: .sessionId)
        try container.encode(clientName, forKey: .clientName)
        try container.encode(workspaceId, forKey: .workspaceId)
        try container.encode(workspaceName, forKey: .workspaceName)
        try container.encode(clientRoot, forKey: .clientRoot)
        try container.encode(method, forKey: .method)
        try container.encode(toolName, forKey: .toolName)
        try container.encode(downstreamId, forKey: .downstreamId)
        try container.encode(downstreamName, forKey: .downstreamName)
        try container.encode(authScopeId, forKey: .authScopeId)
        try container.encode(ruleId, forKey: .ruleId)
        try container.encode(decision, forKey: .decision)
        try container.encode(status, forKey: .status)
        try container.encode(errorCode, forKey: .errorCode)
        try container.encode(errorMessage, forKey: .errorMessage)
        try container.encode(JSONValue.parse(params), forKey: .params)
        try container.encode(paramsBytes, forKey: .paramsBytes)
        try container.encode(resultBytes, forKey: .resultBytes)
        try container.encode(latencyMs, forKey: .latencyMs)
        try container.encode(latencyMicros, forKey: .latencyMicros)
        try container.encode(cacheHit, forKey: .cacheHit)
        try container.encode(approvalId, forKey: .approvalId)
        try container.encode(requestId, forKey: .requestId)
    }
}
