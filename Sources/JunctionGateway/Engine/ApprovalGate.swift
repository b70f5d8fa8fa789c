import JunctionCore

/// A tool call whose routing decision is `approve`, waiting for a person.
public struct ApprovalRequest: Sendable {
    /// The approval's id (also the audit record's `approval_id`).
    public var id: String
    public var sessionId: String
    public var clientName: String?
    public var toolName: String
    public var decision: Decision
    /// The call's arguments, redacted.
    public var arguments: RawJSON?
    /// Tells the client the call is still waiting (a progress notification, when the client sent
    /// a progress token), so its own request timeout does not fire.
    public var progress: (@Sendable (_ message: String) -> Void)?

    public init(
        id: String = ULID.make(), sessionId: String, clientName: String?, toolName: String, decision: Decision,
        arguments: RawJSON?, progress: (@Sendable (_ message: String) -> Void)? = nil
    ) {
        self.id = id
        self.progress = progress
        self.sessionId = sessionId
        self.clientName = clientName
        self.toolName = toolName
        self.decision = decision
        self.arguments = arguments
    }
}

public enum ApprovalOutcome: Sendable, Equatable {
    case approved
    case denied(reason: String)
    case timedOut
    case cancelled
}

/// Decides parked calls. The approval queue implements it; the gateway only awaits the outcome.
public protocol ApprovalGate: Sendable {
    func decide(_ request: ApprovalRequest) async -> ApprovalOutcome
    /// The client session ended: its parked calls end with it.
    func sessionEnded(_ sessionId: String)
}

extension ApprovalGate {
    /// A gate that parks nothing has nothing to end.
    public func sessionEnded(_ sessionId: String) {}
}

/// Until an approval queue is running, calls that need approval are refused with a clear reason.
public struct RefusingApprovalGate: ApprovalGate {
    public init() {}

    public func decide(_ request: ApprovalRequest) async -> ApprovalOutcome {
        let rule = request.decision.matchedRule.map { "rule '\($0.name ?? $0.id)'" } ?? "the default policy"
        return .denied(
            reason: "\(rule) requires approval for \(request.toolName), and no approval queue is running here. "
                + "Run the daemon (junction serve) to approve calls, or change the rule's policy.")
    }
}
