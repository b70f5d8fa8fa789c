import JunctionCore
import Testing

@testable import JunctionGateway

@Suite("Tool call plan")
struct ToolCallPlanTests {
    private static let server = Downstream(id: "d1", name: "files", namespace: "fs", command: "true")

    private static func decision(_ policy: Policy, rule cacheTTL: Int? = nil) -> Decision {
        Decision(
            toolName: "fs__read", decision: policy, reason: "rule 'r' says \(policy.rawValue)",
            matchedRule: cacheTTL.map {
                .init(
                    id: "r", name: "r", scope: "global", toolPattern: "fs__*", pathGlob: "**", policy: policy,
                    priority: 0, cacheTTLSec: $0)
            }, downstream: .init(server), downstreamToolName: "read")
    }

    private static func admit(
        _ policy: Policy, listed: Bool = true, awaitsReview: Bool = false, unavailable: DownstreamError? = nil,
        approvedBefore: Bool = false
    ) -> ToolCallPlan.Step {
        ToolCallPlan.admit(
            "fs__read", decision: decision(policy), listed: listed, awaitsReview: awaitsReview,
            unavailable: unavailable, approvedBefore: approvedBefore)
    }

    @Test("allowed calls go on; approvals park unless approved on the first round; denials are tool errors")
    func admission() {
        #expect(Self.admit(.allow) == .forward)
        #expect(Self.admit(.approve) == .awaitApproval)
        #expect(Self.admit(.approve, approvedBefore: true) == .forward)
        guard case .refuse(let denied) = Self.admit(.deny) else {
            Issue.record("a denial is refused")
            return
        }
        #expect(denied.status == .denied)
        guard case .toolError(let text) = denied.answer else {
            Issue.record("a denial is a tool result")
            return
        }
        #expect(text.contains("junction dry-run fs__read"))
        #expect(denied.auditedError?.code == JSONRPCErrorCode.denied && denied.auditedError?.message == text)
        // A quarantined tool is not listed, yet denied with the quarantine's reason, not unknown.
        guard case .refuse(let quarantined) = Self.admit(.deny, listed: false, awaitsReview: true),
            case .toolError(let reason) = quarantined.answer
        else {
            Issue.record("a quarantined tool is denied")
            return
        }
        #expect(reason == "Junction denied fs__read: rule 'r' says deny.")
    }

    @Test("an unlisted tool is unknown, unless its server says why it is unavailable")
    func unknownAndUnavailable() {
        guard case .refuse(let unknown) = Self.admit(.allow, listed: false),
            case .error(let code, let message) = unknown.answer
        else {
            Issue.record("an unlisted tool is refused")
            return
        }
        #expect(code == JSONRPCErrorCode.invalidParams && message.hasPrefix("Unknown tool: fs__read."))
        let down = DownstreamError.unavailable(server: "files", reason: "it crashed", stderr: [])
        #expect(
            Self.admit(.allow, listed: false, unavailable: down)
                == .refuse(.init(status: .error, answer: .error(code: down.code, message: down.description))))
    }

    @Test("an approval's outcome: approved goes on, denied and timed out are tool errors, cancelled ends quietly")
    func approvals() {
        #expect(ToolCallPlan.approved("fs__read", outcome: .approved) == .forward)
        #expect(ToolCallPlan.approved("fs__read", outcome: .cancelled) == .cancelled)
        #expect(
            ToolCallPlan.approved("fs__read", outcome: .denied(reason: "no"))
                == .refuse(
                    .init(status: .approvalDenied, answer: .toolError("Junction: the call was not approved. no"))))
        #expect(
            ToolCallPlan.approved("fs__read", outcome: .timedOut)
                == .refuse(
                    .init(status: .approvalTimeout, answer: .toolError("Junction: nobody approved fs__read in time."))))
    }

    @Test("forwarding: the server's own tool name, and a cache lifetime only for reads that carry no input")
    func forwarding() throws {
        let listed = GatewaySession.VisibleTool(downstreamId: "d1", originalName: "read", readOnly: true)
        func plan(
            _ decision: Decision, downstream: Downstream? = Self.server, resume: ResumeState? = nil,
            carriesInput: Bool = false
        ) -> Result<ToolCallPlan.Forwarding, ToolCallPlan.Refusal> {
            ToolCallPlan.forwarding(
                "fs__read", decision: decision, downstream: downstream, listed: listed, resume: resume,
                carriesInput: carriesInput, readOnlyTTL: 5)
        }
        let read = try plan(Self.decision(.allow)).get()
        #expect(read.originalName == "read" && read.readOnly && read.cacheTTL == 5)
        #expect(try plan(Self.decision(.allow, rule: 60)).get().cacheTTL == 60)
        #expect(try plan(Self.decision(.allow), carriesInput: true).get().cacheTTL == 0)
        guard case .failure(let gone) = plan(Self.decision(.allow), downstream: nil) else {
            Issue.record("a server no longer configured is unavailable")
            return
        }
        #expect(gone.answer == .error(code: JSONRPCErrorCode.downstreamUnavailable, message: "rule 'r' says allow"))
        let elsewhere = ResumeState(
            method: "tools/call", subject: "fs__read", downstreamId: "d2", serverState: nil, approved: false,
            exchangeId: nil)
        guard case .failure(let moved) = plan(Self.decision(.allow), resume: elsewhere),
            case .error(let code, _) = moved.answer
        else {
            Issue.record("a retry routed to another server is refused")
            return
        }
        #expect(code == JSONRPCErrorCode.invalidParams)
    }

    @Test("a cacheable success is kept (privately when its server says so); any other call that may write invalidates")
    func cacheEffects() throws {
        let ok = JSONRPCMessage.response(id: RawJSON(integer: 1), result: RawJSON(object: [("content", .emptyArray)]))
        let mine = JSONRPCMessage.response(
            id: RawJSON(integer: 1), result: RawJSON(object: [("cacheScope", RawJSON(string: "private"))]))
        let failed = JSONRPCMessage.response(id: RawJSON(integer: 1), result: RawJSON(object: [("isError", .true)]))
        let asking = JSONRPCMessage.response(
            id: RawJSON(integer: 1), result: RawJSON(object: [("resultType", RawJSON(string: "input_required"))]))
        #expect(ToolCallPlan.cacheEffect(of: ok, cacheable: true, readOnly: true) == .keep(privateToSession: false))
        #expect(ToolCallPlan.cacheEffect(of: mine, cacheable: true, readOnly: false) == .keep(privateToSession: true))
        #expect(ToolCallPlan.cacheEffect(of: failed, cacheable: true, readOnly: true) == .none)
        #expect(ToolCallPlan.cacheEffect(of: asking, cacheable: true, readOnly: true) == .none)
        #expect(ToolCallPlan.cacheEffect(of: ok, cacheable: false, readOnly: true) == .none)
        #expect(ToolCallPlan.cacheEffect(of: failed, cacheable: false, readOnly: false) == .invalidateServer)
        #expect(ToolCallPlan.isError(failed) && !ToolCallPlan.isError(ok))
    }
}
