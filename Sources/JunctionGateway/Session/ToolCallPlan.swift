import JunctionCore

/// The decisions of one `tools/call`, as values: from what is known at each step (the routing
/// decision, the listing, the approval's outcome, the server's answer), what happens next. The
/// session does the I/O between the steps — asking for approval, reading the result cache,
/// waiting for a call slot, forwarding, auditing — and follows these answers; nothing here waits,
/// reads or writes.
enum ToolCallPlan {
    /// An answer that ends the call without forwarding it.
    struct Refusal: Error, Sendable, Equatable {
        /// How the audit records the call.
        var status: AuditRecord.Status
        var answer: Answer
        /// The error the audit records when the answer is a tool result (which carries none).
        var auditedError: (code: Int, message: String)?

        static func == (lhs: Refusal, rhs: Refusal) -> Bool {
            lhs.status == rhs.status && lhs.answer == rhs.answer
                && lhs.auditedError?.code == rhs.auditedError?.code
                && lhs.auditedError?.message == rhs.auditedError?.message
        }
    }

    enum Answer: Sendable, Equatable {
        /// A JSON-RPC error.
        case error(code: Int, message: String)
        /// A tool result with `isError`: the model reads why, and can tell the user.
        case toolError(String)
    }

    /// What follows the routing decision, or an approval.
    enum Step: Sendable, Equatable {
        case refuse(Refusal)
        /// A person decides: park the call on the approval gate.
        case awaitApproval
        /// The client withdrew the call while it waited: audit it as cancelled, answer `cancelled`.
        case cancelled
        /// On to the server.
        case forward
    }

    /// Where an admitted call goes, and whether its result may be reused.
    struct Forwarding: Sendable, Equatable {
        var downstream: Downstream
        /// The tool's name on its server.
        var originalName: String
        /// The tool's annotations say it changes nothing (`readOnlyHint`).
        var readOnly: Bool
        /// Seconds its result is reused (0: not cached).
        var cacheTTL: Int
    }

    /// What a server's answer does to the result cache.
    enum CacheEffect: Sendable, Equatable {
        case none
        /// Keep the result (for this session alone when its server calls it private).
        case keep(privateToSession: Bool)
        /// The call may have written through its server: its cached reads are stale.
        case invalidateServer
    }

    /// The step after routing `name` to `decision`. `listed` says the session's listing has the
    /// tool, `awaitsReview` that its server or the tool is quarantined (not listed, yet no unknown
    /// tool), `unavailable` why its server offers nothing, and `approvedBefore` that the first
    /// round of a multi round-trip request was approved.
    static func admit(
        _ name: String, decision: Decision, listed: Bool, awaitsReview: Bool, unavailable: DownstreamError?,
        approvedBefore: Bool
    ) -> Step {
        if let unavailable {
            return .refuse(
                .init(status: .error, answer: .error(code: unavailable.code, message: unavailable.description)))
        }
        guard listed || awaitsReview else {
            return .refuse(
                .init(
                    status: .error,
                    answer: .error(
                        code: JSONRPCErrorCode.invalidParams,
                        message: "Unknown tool: \(name). List the tools with tools/list; names are namespace__tool.")))
        }
        switch decision.decision {
        case .approve where approvedBefore, .allow:
            return .forward
        case .approve:
            return .awaitApproval
        case .deny:
            // The audit keeps the denial's code and reason, as for any refused call. The reason of a
            // quarantine names the command that approves it; a rule's, how to see it.
            let reason =
                awaitsReview
                ? "Junction denied \(name): \(decision.reason)."
                : "Junction denied \(name): \(decision.reason). "
                    + "Change the rule with junction route (see junction dry-run \(name))."
            return .refuse(
                .init(status: .denied, answer: .toolError(reason), auditedError: (JSONRPCErrorCode.denied, reason)))
        }
    }

    /// The step after a person (or the gate's timeout) decided a call that needed approval.
    static func approved(_ name: String, outcome: ApprovalOutcome) -> Step {
        switch outcome {
        case .approved:
            .forward
        case .denied(let reason):
            .refuse(
                .init(status: .approvalDenied, answer: .toolError("Junction: the call was not approved. \(reason)")))
        case .timedOut:
            .refuse(.init(status: .approvalTimeout, answer: .toolError("Junction: nobody approved \(name) in time.")))
        case .cancelled:
            .cancelled
        }
    }

    /// Where an admitted call goes: `downstream` is the configured server its decision names (nil
    /// when there is none now), `listed` the session's listing entry, `resume` a retry's state,
    /// `carriesInput` that it answers a server's question, `readOnlyTTL` the seconds read-only
    /// results are reused.
    static func forwarding(
        _ name: String, decision: Decision, downstream: Downstream?, listed: GatewaySession.VisibleTool?,
        resume: ResumeState?, carriesInput: Bool, readOnlyTTL: Int
    ) -> Result<Forwarding, Refusal> {
        guard let downstream else {
            return .failure(
                .init(
                    status: .error,
                    answer: .error(code: JSONRPCErrorCode.downstreamUnavailable, message: decision.reason)))
        }
        if let resume, resume.downstreamId != downstream.id {
            return .failure(
                .init(
                    status: .error,
                    answer: .error(
                        code: JSONRPCErrorCode.invalidParams,
                        message: "\(name) is now routed to another server than the one that asked for input: "
                            + "send the call again without requestState and inputResponses")))
        }
        let sameServer = listed.flatMap { $0.downstreamId == downstream.id ? $0 : nil }
        let originalName = sameServer?.originalName ?? decision.downstreamToolName ?? name
        // Tier 2: results of read-only tools (or of rules with a cache TTL) are reused for a while.
        let readOnly = sameServer?.readOnly == true
        // A retry carrying input depends on more than its arguments: never cached.
        let ttl =
            carriesInput || resume != nil ? 0 : decision.matchedRule?.cacheTTLSec ?? (readOnly ? readOnlyTTL : 0)
        return .success(.init(downstream: downstream, originalName: originalName, readOnly: readOnly, cacheTTL: ttl))
    }

    /// Whether a server's answer is an error (a JSON-RPC error or a tool result with `isError`).
    static func isError(_ response: JSONRPCMessage) -> Bool {
        response.kind == .errorResponse || response.result?["isError"]?.boolValue == true
    }

    /// What a server's answer does to the result cache: a cacheable call keeps a successful, final
    /// result; any other call that may write makes its server's cached reads stale.
    static func cacheEffect(of response: JSONRPCMessage, cacheable: Bool, readOnly: Bool) -> CacheEffect {
        guard cacheable else { return readOnly ? .none : .invalidateServer }
        guard !isError(response), let result = response.result,
            result["resultType"]?.stringValue != "input_required"
        else { return .none }
        return .keep(privateToSession: result["cacheScope"]?.stringValue == "private")
    }
}
