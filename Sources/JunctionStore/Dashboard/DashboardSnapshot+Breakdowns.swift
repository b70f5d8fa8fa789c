import Foundation
import JunctionCore

extension DashboardSnapshot {
    /// One tool's calls in the range. `tool_name` is the client-visible name (`ns__tool`).
    public struct ToolStat: Encodable, Sendable, Hashable {
        public var toolName: String
        /// The downstream of the latest call that was routed to one.
        public var downstreamName: String?
        public var calls: Int
        public var errors: Int
        public var avgLatencyMs: Double
        public var p95LatencyMs: Double
        public var lastCalledAt: Date

        public init(
            toolName: String, downstreamName: String?, calls: Int, errors: Int, avgLatencyMs: Double,
            p95LatencyMs: Double, lastCalledAt: Date
        ) {
            self.toolName = toolName
            self.downstreamName = downstreamName
            self.calls = calls
            self.errors = errors
            self.avgLatencyMs = avgLatencyMs
            self.p95LatencyMs = p95LatencyMs
            self.lastCalledAt = lastCalledAt
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case calls, errors
            case toolName = "tool_name"
            case downstreamName = "downstream_name"
            case avgLatencyMs = "avg_latency_ms"
            case p95LatencyMs = "p95_latency_ms"
            case lastCalledAt = "last_called_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(toolName, forKey: .toolName)
            try container.encode(downstreamName, forKey: .downstreamName)
            try container.encode(calls, forKey: .calls)
            try container.encode(errors, forKey: .errors)
            try container.encode(avgLatencyMs, forKey: .avgLatencyMs)
            try container.encode(p95LatencyMs, forKey: .p95LatencyMs)
            try container.encode(lastCalledAt, forKey: .lastCalledAt)
        }
    }

    /// One downstream's calls in the range. The name is the one its latest call recorded, so a
    /// downstream deleted since still shows under its name.
    public struct DownstreamStat: Encodable, Sendable, Hashable {
        public var serverId: String
        public var name: String?
        public var calls: Int
        public var errors: Int
        public var avgLatencyMs: Double
        /// The message of the latest error (see ``DashboardSnapshot/errorStatuses``) in the range.
        public var lastError: String?
        public var lastErrorAt: Date?

        public init(
            serverId: String, name: String?, calls: Int, errors: Int, avgLatencyMs: Double, lastError: String?,
            lastErrorAt: Date?
        ) {
            self.serverId = serverId
            self.name = name
            self.calls = calls
            self.errors = errors
            self.avgLatencyMs = avgLatencyMs
            self.lastError = lastError
            self.lastErrorAt = lastErrorAt
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case name, calls, errors
            case serverId = "server_id"
            case avgLatencyMs = "avg_latency_ms"
            case lastError = "last_error"
            case lastErrorAt = "last_error_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(serverId, forKey: .serverId)
            try container.encode(name, forKey: .name)
            try container.encode(calls, forKey: .calls)
            try container.encode(errors, forKey: .errors)
            try container.encode(avgLatencyMs, forKey: .avgLatencyMs)
            try container.encode(lastError, forKey: .lastError)
            try container.encode(lastErrorAt, forKey: .lastErrorAt)
        }
    }

    /// Calls that ended with the same status and JSON-RPC error code: every status but `ok` and
    /// `cancelled`, so refusals show next to failures.
    public struct ErrorGroup: Encodable, Sendable, Hashable {
        public var status: AuditRecord.Status
        public var errorCode: Int?
        public var count: Int
        /// The error message of the group's latest call.
        public var lastMessage: String?
        public var lastAt: Date

        public init(status: AuditRecord.Status, errorCode: Int?, count: Int, lastMessage: String?, lastAt: Date) {
            self.status = status
            self.errorCode = errorCode
            self.count = count
            self.lastMessage = lastMessage
            self.lastAt = lastAt
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case status, count
            case errorCode = "error_code"
            case lastMessage = "last_message"
            case lastAt = "last_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            try container.encode(errorCode, forKey: .errorCode)
            try container.encode(count, forKey: .count)
            try container.encode(lastMessage, forKey: .lastMessage)
            try container.encode(lastAt, forKey: .lastAt)
        }
    }

    /// Which route rules decided the calls of the range.
    public struct RouteHits: Encodable, Sendable, Hashable {
        /// Every rule that decided a call, most calls first.
        public var rules: [Rule]
        /// Calls no rule matched: the workspace's default policy decided them.
        public var unmatched: Int

        public init(rules: [Rule] = [], unmatched: Int = 0) {
            self.rules = rules
            self.unmatched = unmatched
        }

        public struct Rule: Encodable, Sendable, Hashable {
            public var ruleId: String
            /// The rule's current name; nil when it has none or was deleted since.
            public var ruleName: String?
            public var calls: Int
            /// Calls whose status is one of ``DashboardSnapshot/deniedStatuses``.
            public var denied: Int
            public var lastHitAt: Date

            public init(ruleId: String, ruleName: String?, calls: Int, denied: Int, lastHitAt: Date) {
                self.ruleId = ruleId
                self.ruleName = ruleName
                self.calls = calls
                self.denied = denied
                self.lastHitAt = lastHitAt
            }

            public enum CodingKeys: String, CodingKey, CaseIterable {
                case calls, denied
                case ruleId = "rule_id"
                case ruleName = "rule_name"
                case lastHitAt = "last_hit_at"
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(ruleId, forKey: .ruleId)
                try container.encode(ruleName, forKey: .ruleName)
                try container.encode(calls, forKey: .calls)
                try container.encode(denied, forKey: .denied)
                try container.encode(lastHitAt, forKey: .lastHitAt)
            }
        }
    }
}
