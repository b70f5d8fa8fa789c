import Foundation
import JunctionCore

/// The payloads of the engine's events, as JSON objects with snake_case keys (absent optionals
/// are left out). `activity.tool_call.completed` carries an `AuditRecord` instead.
public enum EventPayload {
    /// `activity.policy_decision`: how routing decided a `tools/call`, before anything ran.
    public struct PolicyDecision: Codable, Sendable, Hashable {
        /// The call's audit record id, shared by its started and completed events.
        public var callId: String
        public var sessionId: String
        public var clientName: String?
        public var toolName: String
        public var decision: Policy
        public var reason: String
        public var workspaceId: String?
        public var workspaceName: String?
        public var ruleId: String?
        public var ruleName: String?
        public var serverId: String?
        public var serverName: String?

        enum CodingKeys: String, CodingKey {
            case decision, reason
            case callId = "call_id"
            case sessionId = "session_id"
            case clientName = "client_name"
            case toolName = "tool_name"
            case workspaceId = "workspace_id"
            case workspaceName = "workspace_name"
            case ruleId = "rule_id"
            case ruleName = "rule_name"
            case serverId = "server_id"
            case serverName = "server_name"
        }
    }

    /// `activity.tool_call.started`: a call was sent to its server.
    public struct ToolCallStarted: Codable, Sendable, Hashable {
        public var callId: String
        public var sessionId: String
        public var clientName: String?
        public var toolName: String
        /// The server's own name for the tool.
        public var serverToolName: String
        public var serverId: String
        public var serverName: String
        public var workspaceId: String?
        public var startedAt: Date
        /// The client's JSON-RPC id, as JSON text.
        public var requestId: String?

        enum CodingKeys: String, CodingKey {
            case callId = "call_id"
            case sessionId = "session_id"
            case clientName = "client_name"
            case toolName = "tool_name"
            case serverToolName = "server_tool_name"
            case serverId = "server_id"
            case serverName = "server_name"
            case workspaceId = "workspace_id"
            case startedAt = "started_at"
            case requestId = "request_id"
        }
    }

    /// `tools.indexed`: a server's catalog was stored and differs from before.
    public struct ToolsIndexed: Codable, Sendable, Hashable {
        public var serverId: String
        public var serverName: String
        /// The kinds whose entries changed, in a fixed order (tool, resource, resource_template, prompt).
        public var changedKinds: [CatalogEntry.Kind]
        public var toolCount: Int
        public var resourceCount: Int
        public var promptCount: Int

        enum CodingKeys: String, CodingKey {
            case serverId = "server_id"
            case serverName = "server_name"
            case changedKinds = "changed_kinds"
            case toolCount = "tool_count"
            case resourceCount = "resource_count"
            case promptCount = "prompt_count"
        }
    }

    /// `servers.changed`: the server's pool status (`server_id`, `state`, `instances`, `crashes`,
    /// `last_error`, `restart_in_sec`) and its `server_name`, in one object.
    public struct ServerChanged: Codable, Sendable, Hashable {
        public var status: DownstreamPool.Status
        public var serverName: String

        enum CodingKeys: String, CodingKey {
            case serverName = "server_name"
        }

        public init(status: DownstreamPool.Status, serverName: String) {
            self.status = status
            self.serverName = serverName
        }

        public init(from decoder: any Decoder) throws {
            status = try DownstreamPool.Status(from: decoder)
            serverName = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .serverName)
        }

        public func encode(to encoder: any Encoder) throws {
            try status.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(serverName, forKey: .serverName)
        }
    }

    /// `servers.quarantine_changed`: a server was quarantined (its tools hidden, calls refused) or
    /// approved.
    public struct QuarantineChanged: Codable, Sendable, Hashable {
        public var serverId: String
        public var serverName: String
        public var quarantined: Bool

        enum CodingKeys: String, CodingKey {
            case quarantined
            case serverId = "server_id"
            case serverName = "server_name"
        }
    }

    /// `config.reloaded`: routing follows a configuration change (any process's write).
    public struct ConfigReloaded: Codable, Sendable, Hashable {
        public var generation: UInt64
    }

    /// `stream.gap`, `stream.dropped`, `stream.closed`: what happened to this stream.
    public struct StreamNotice: Codable, Sendable, Hashable {
        public var reason: String
        /// The id to resume after (the notice's own event id).
        public var resumeAfter: UInt64
        /// For `stream.gap`: the id the subscriber asked to resume after.
        public var requestedAfter: UInt64?

        enum CodingKeys: String, CodingKey {
            case reason
            case resumeAfter = "resume_after"
            case requestedAfter = "requested_after"
        }
    }
}
