extension Decision {
    /// The rule that decided, as shown to clients.
    public struct RuleRef: Sendable, Hashable, Codable {
        public var id: String
        public var name: String?
        /// Workspace name, or `"global"`.
        public var scope: String
        public var toolPattern: String
        public var pathGlob: String
        public var policy: Policy
        public var priority: Int
        /// Carried so the gateway needs no second lookup to park or cache the call.
        public var approvalTimeoutSec: Int?
        public var cacheTTLSec: Int?

        public init(
            id: String, name: String?, scope: String, toolPattern: String, pathGlob: String, policy: Policy,
            priority: Int, approvalTimeoutSec: Int? = nil, cacheTTLSec: Int? = nil
        ) {
            self.id = id
            self.name = name
            self.scope = scope
            self.toolPattern = toolPattern
            self.pathGlob = pathGlob
            self.policy = policy
            self.priority = priority
            self.approvalTimeoutSec = approvalTimeoutSec
            self.cacheTTLSec = cacheTTLSec
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case id, name, scope, policy, priority
            case toolPattern = "tool_pattern"
            case pathGlob = "path_glob"
            case approvalTimeoutSec = "approval_timeout_sec"
            case cacheTTLSec = "cache_ttl_sec"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(scope, forKey: .scope)
            try container.encode(toolPattern, forKey: .toolPattern)
            try container.encode(pathGlob, forKey: .pathGlob)
            try container.encode(policy, forKey: .policy)
            try container.encode(priority, forKey: .priority)
            try container.encode(approvalTimeoutSec, forKey: .approvalTimeoutSec)
            try container.encode(cacheTTLSec, forKey: .cacheTTLSec)
        }
    }

    /// A downstream as shown to clients.
    public struct DownstreamRef: Sendable, Hashable, Codable {
        public var id: String
        public var name: String
        public var namespace: String

        public init(id: String, name: String, namespace: String) {
            self.id = id
            self.name = name
            self.namespace = namespace
        }

        public init(_ downstream: Downstream) {
            self.init(id: downstream.id, name: downstream.name, namespace: downstream.namespace)
        }
    }

    /// An auth scope as shown to clients (never its secrets).
    public struct AuthScopeRef: Sendable, Hashable, Codable {
        public var id: String
        public var name: String

        public init(id: String, name: String) {
            self.id = id
            self.name = name
        }

        public init(_ scope: AuthScope) {
            self.init(id: scope.id, name: scope.name)
        }
    }

    /// One rule considered during resolution, and why it did or did not match.
    public struct TraceEntry: Sendable, Hashable, Codable {
        public var ruleId: String
        /// Workspace name, or `"global"`.
        public var scope: String
        /// Whether the rule is enabled and both its tool pattern and path glob match.
        public var matched: Bool
        public var why: String

        public init(ruleId: String, scope: String, matched: Bool, why: String) {
            self.ruleId = ruleId
            self.scope = scope
            self.matched = matched
            self.why = why
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case scope, matched, why
            case ruleId = "rule_id"
        }
    }
}
