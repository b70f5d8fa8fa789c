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
///
/// A value type with copy-on-write storage: the fields live in one immutable box, so handing a
/// cached decision out (every tool call) costs one retain instead of copying and retaining a
/// dozen strings.
public struct Decision: Sendable, Hashable, Codable {
    /// The stored fields; plain value semantics, synthesised equality and hashing.
    private struct Fields: Sendable, Hashable {
        var toolName: String
        var decision: Policy
        var reason: String
        var workspace: ScopeRef?
        var chain: [ScopeRef]
        var matchedRule: RuleRef?
        var downstream: DownstreamRef?
        var authScope: AuthScopeRef?
        var downstreamToolName: String?
        var trace: [TraceEntry]?
    }

    /// Immutable, hence `Sendable` without ceremony; setters replace the box.
    private final class Box: Sendable {
        let fields: Fields

        init(_ fields: Fields) {
            self.fields = fields
        }
    }

    private var box: Box

    /// Client-visible name, `namespace__tool`.
    public var toolName: String {
        get { box.fields.toolName }
        set { update { $0.toolName = newValue } }
    }

    /// What happens to the call.
    public var decision: Policy {
        get { box.fields.decision }
        set { update { $0.decision = newValue } }
    }

    /// One human sentence explaining the decision.
    public var reason: String {
        get { box.fields.reason }
        set { update { $0.reason = newValue } }
    }

    /// Innermost workspace of the chain; nil when no workspace contains the client root.
    public var workspace: ScopeRef? {
        get { box.fields.workspace }
        set { update { $0.workspace = newValue } }
    }

    /// Scopes walked, innermost first, global last.
    public var chain: [ScopeRef] {
        get { box.fields.chain }
        set { update { $0.chain = newValue } }
    }

    /// The rule that decided; nil when a default policy applied or routing failed before rules.
    public var matchedRule: RuleRef? {
        get { box.fields.matchedRule }
        set { update { $0.matchedRule = newValue } }
    }

    /// The downstream the call goes to (or would have gone to, for a deny), when identified.
    public var downstream: DownstreamRef? {
        get { box.fields.downstream }
        set { update { $0.downstream = newValue } }
    }

    /// Credentials the call runs with; only for allow/approve decisions whose rule names one.
    public var authScope: AuthScopeRef? {
        get { box.fields.authScope }
        set { update { $0.authScope = newValue } }
    }

    /// Tool name to send downstream (the part after `namespace__`); nil when unroutable.
    public var downstreamToolName: String? {
        get { box.fields.downstreamToolName }
        set { update { $0.downstreamToolName = newValue } }
    }

    /// Every rule considered, in evaluation order; only when a trace was asked for.
    public var trace: [TraceEntry]? {
        get { box.fields.trace }
        set { update { $0.trace = newValue } }
    }

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
        box = Box(
            Fields(
                toolName: toolName, decision: decision, reason: reason, workspace: workspace, chain: chain,
                matchedRule: matchedRule, downstream: downstream, authScope: authScope,
                downstreamToolName: downstreamToolName, trace: trace))
    }

    private mutating func update(_ change: (inout Fields) -> Void) {
        var fields = box.fields
        change(&fields)
        box = Box(fields)
    }

    public static func == (lhs: Decision, rhs: Decision) -> Bool {
        lhs.box === rhs.box || lhs.box.fields == rhs.box.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(box.fields)
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case decision, reason, workspace, chain, downstream, trace
        case toolName = "tool_name"
        case matchedRule = "matched_rule"
        case authScope = "auth_scope"
        case downstreamToolName = "downstream_tool_name"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            toolName: try container.decode(String.self, forKey: .toolName),
            decision: try container.decode(Policy.self, forKey: .decision),
            reason: try container.decode(String.self, forKey: .reason),
            workspace: try container.decodeIfPresent(ScopeRef.self, forKey: .workspace),
            chain: try container.decodeIfPresent([ScopeRef].self, forKey: .chain) ?? [],
            matchedRule: try container.decodeIfPresent(RuleRef.self, forKey: .matchedRule),
            downstream: try container.decodeIfPresent(DownstreamRef.self, forKey: .downstream),
            authScope: try container.decodeIfPresent(AuthScopeRef.self, forKey: .authScope),
            downstreamToolName: try container.decodeIfPresent(String.self, forKey: .downstreamToolName),
            trace: try container.decodeIfPresent([TraceEntry].self, forKey: .trace))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        let fields = box.fields
        // `encode` on optionals writes `null`, keeping every key present for clients.
        try container.encode(fields.toolName, forKey: .toolName)
        try container.encode(fields.decision, forKey: .decision)
        try container.encode(fields.reason, forKey: .reason)
        try container.encode(fields.workspace, forKey: .workspace)
        try container.encode(fields.chain, forKey: .chain)
        try container.encode(fields.matchedRule, forKey: .matchedRule)
        try container.encode(fields.downstream, forKey: .downstream)
        try container.encode(fields.authScope, forKey: .authScope)
        try container.encode(fields.downstreamToolName, forKey: .downstreamToolName)
        try container.encode(fields.trace, forKey: .trace)
    }
}
