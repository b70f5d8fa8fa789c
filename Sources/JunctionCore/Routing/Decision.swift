/// The outcome of routing one tool name for one client location: what to do, why, and where the
/// call goes. Encodes to a stable JSON shape: every key is always present, absent values are
/// `null`.
///
/// ```json
/// {"tool_name":"github__create_issue","decision":"allow","reason":"rule 'r1' (workspace 'app',
///  priority 10) allows github__*","workspace":{…},"chain":[{…},{"kind":"global",…}],
///  "matched_rule":{…},"downstream":{"id":"…","name":"github","namespace":"github"},
///  "auth_scope":null,"downstream_tool_name":"create_issue","trace":null}
/// ```
public struct Decision: Sendable, Hashable, Codable {
    /// Client-visible name, `namespace__tool`.
    public var toolName: String
    public var decision: Policy
    /// One human sentence explaining the decision.
    public var reason: String
    /// Innermost workspace of the chain; nil when no workspace contains the client root.
    public var workspace: ScopeRef?
    /// Scopes walked, innermost first, global last.
    public var chain: [ScopeRef]
    /// The rule that decided; nil when a default policy applied or routing failed before rules.
    public var matchedRule: RuleRef?
    /// The downstream the call goes to (or would have gone to, for a deny), when identified.
    public var downstream: DownstreamRef?
    /// Credentials the call runs with; only for allow/approve decisions whose rule names one.
    public var authScope: AuthScopeRef?
    /// Tool name to send downstream (the part after `namespace__`); nil when unroutable.
    public var downstreamToolName: String?
    /// Every rule considered, in evaluation order; only when a trace was asked for.
    public var trace: [TraceEntry]?

    public init(
        toolName: String,
        decision: Policy,
        reason: String,
        workspace: ScopeRef? = nil,
        chain: [ScopeRef] = [],
        matchedRule: RuleRef? = nil,
        downstream: DownstreamRef? = nil,
        authScope: AuthScopeRef? = nil,
        downstreamToolName: String? = nil,
        trace: [TraceEntry]? = nil
    ) {
        self.toolName = toolName
        self.decision = decision
        self.reason = reason
        self.workspace = workspace
        self.chain = chain
        self.matchedRule = matchedRule
        self.downstream = downstream
        self.authScope = authScope
        self.downstreamToolName = downstreamToolName
        self.trace = trace
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case decision, reason, workspace, chain, downstream, trace
        case toolName = "tool_name"
        case matchedRule = "matched_rule"
        case authScope = "auth_scope"
        case downstreamToolName = "downstream_tool_name"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        // `encode` on optionals writes `null`, keeping every key present for clients.
        try container.encode(toolName, forKey: .toolName)
        try container.encode(decision, forKey: .decision)
        try container.encode(reason, forKey: .reason)
        try container.encode(workspace, forKey: .workspace)
        try container.encode(chain, forKey: .chain)
        try container.encode(matchedRule, forKey: .matchedRule)
        try container.encode(downstream, forKey: .downstream)
        try container.encode(authScope, forKey: .authScope)
        try container.encode(downstreamToolName, forKey: .downstreamToolName)
        try container.encode(trace, forKey: .trace)
    }
}
