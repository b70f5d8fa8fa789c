import Foundation
import JunctionCore
import JunctionStore
import Logging
import Synchronization

/// The approval queue: a call whose decision is `approve` is stored as a pending approval,
/// announced on the event feed, and waits — without holding up the session's other calls —
/// until a person approves or denies it, its timeout passes, or the client cancels. The database
/// decides races: a pending row is resolved once, whoever comes first.
public final class ApprovalQueue: ApprovalGate, Sendable {
    /// How a resolution went: the approval in its final state, and the rule created by
    /// `remember: workspace`.
    public struct Resolved: Sendable, Encodable {
        public var approval: Approval
        public var rule: RouteRule?

        enum CodingKeys: String, CodingKey {
            case approval, rule
        }

        /// `rule` is always present, `null` when none was created.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(approval, forKey: .approval)
            try container.encode(rule, forKey: .rule)
        }
    }

    /// Resolving an approval that is no longer pending; `current` is what it became.
    public struct Conflict: Error, Sendable {
        public var current: Approval
    }

    private struct Waiter {
        var continuation: CheckedContinuation<ApprovalOutcome, Never>
        var tasks: [Task<Void, Never>]
        /// The waiting call's session (the stored row may not name it: see ApprovalRepository).
        var sessionId: String
    }

    private struct SessionTool: Hashable {
        var sessionId: String
        var toolName: String
    }

    static let logger = Logger(label: "junction.approvals")
    let repository: ApprovalRepository
    let database: AppDatabase
    let events: EventBus
    /// How often a waiting call tells its client it is still waiting.
    let progressInterval: Duration
    private let waiters = Mutex<[String: Waiter]>([:])
    private let remembered = Mutex<Set<SessionTool>>([])

    public init(database: AppDatabase, events: EventBus, progressInterval: Duration = .seconds(10)) {
        self.database = database
        self.repository = ApprovalRepository(database)
        self.events = events
        self.progressInterval = progressInterval
    }

    /// Pending approvals of a daemon that stopped cannot be answered any more: marks them
    /// `expired`. Call once at start, before sessions arrive.
    @discardableResult
    public func expireStale() -> Int {
        let expired: [Approval]
        do {
            expired = try repository.expirePending(reason: "the Junction daemon stopped while the call waited")
        } catch {
            Self.logger.error("approvals left pending by the last run could not be expired: \(error)")
            expired = []
        }
        for approval in expired { events.publish(EventType.approvalResolved, Resolved(approval: approval)) }
        return expired.count
    }

    // MARK: - Waiting

    public func decide(_ request: ApprovalRequest) async -> ApprovalOutcome {
        if remembered.withLock({ $0.contains(SessionTool(sessionId: request.sessionId, toolName: request.toolName)) }) {
            return .approved
        }
        let decision = request.decision
        // Clamped: a row stored before the limit existed must not overflow the timer.
        let timeout = max(1, Limits.clampedSeconds(decision.matchedRule?.approvalTimeoutSec ?? defaultTimeout()))
        let approval = Approval(
            id: request.id, sessionId: request.sessionId, clientName: request.clientName,
            workspaceId: decision.workspace?.id, workspaceName: decision.workspace?.name, toolName: request.toolName,
            downstreamId: decision.downstream?.id, downstreamName: decision.downstream?.name,
            ruleId: decision.matchedRule?.id, params: request.arguments?.description, timeoutSec: timeout)
        let outcome = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                park(approval, request: request, continuation: continuation)
            }
        } onCancel: {
            end(approval.id, status: .cancelled, resolution: "the client cancelled the call or went away")
        }
        return outcome
    }

    /// Registers the waiter first, then stores and announces the approval: a reviewer who answers
    /// at once always finds someone to hand the answer to.
    private func park(
        _ approval: Approval, request: ApprovalRequest, continuation: CheckedContinuation<ApprovalOutcome, Never>
    ) {
        let id = approval.id
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .seconds(approval.timeoutSec))
            guard !Task.isCancelled else { return }
            self?.end(id, status: .timedOut, resolution: "nobody decided within \(approval.timeoutSec) s")
        }
        var tasks = [timer]
        if let progress = request.progress {
            progress("waiting for approval \(id) (junction approvals approve \(id))")
            let interval = progressInterval
            tasks.append(
                Task {
                    var waited = Duration.zero
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        guard !Task.isCancelled else { return }
                        waited += interval
                        progress("waiting for approval \(id) (\(waited.components.seconds) s)")
                    }
                })
        }
        waiters.withLock { $0[id] = Waiter(continuation: continuation, tasks: tasks, sessionId: request.sessionId) }
        do {
            try repository.create(approval)
        } catch {
            resume(id, with: .denied(reason: "Junction could not park the call for approval: \(error)"))
            return
        }
        events.publish(EventType.approvalRequested, approval)
        if Task.isCancelled {
            end(id, status: .cancelled, resolution: "the client cancelled the call or went away")
        }
    }

    /// Ends a wait from the inside (timeout, cancellation), if nobody resolved it first.
    private func end(_ id: String, status: Approval.Status, resolution: String) {
        let outcome: ApprovalRepository.Resolution
        do {
            outcome = try repository.resolve(id, status: status, resolution: resolution, resolvedBy: nil)
        } catch {
            // The call still ends (as it would have); only the stored row keeps `pending`.
            Self.logger.error("approval \(id) could not be stored as \(status.rawValue): \(error)")
            resume(id, with: status == .timedOut ? .timedOut : .cancelled)
            return
        }
        guard case .resolved(let approval) = outcome else { return }
        events.publish(EventType.approvalResolved, Resolved(approval: approval))
        resume(id, with: status == .timedOut ? .timedOut : .cancelled)
    }

    private func resume(_ id: String, with outcome: ApprovalOutcome) {
        guard let waiter = waiters.withLock({ $0.removeValue(forKey: id) }) else { return }
        for task in waiter.tasks { task.cancel() }
        waiter.continuation.resume(returning: outcome)
    }

    private func defaultTimeout() -> Int {
        guard let seconds = try? SettingsRepository(database).value(.approvalTimeoutSec), seconds > 0 else {
            return 300
        }
        return seconds
    }

    // MARK: - Deciding

    /// A person's decision. `remember: session` lets later calls of the tool in that session
    /// through; `remember: workspace` adds an allow rule for the tool in the call's workspace,
    /// above the rule that asked for approval. Throws ``Conflict`` when the approval is no longer
    /// pending, `StoreError.notFound` for an unknown id, and a ValidationError (`remember`) when
    /// there is no workspace to remember it in.
    public func resolve(
        _ id: String, approved: Bool, note: String?, remember: Approval.Remember = .none, by reviewer: String? = nil
    ) throws -> Resolved {
        let current = try repository.get(id)
        guard current.status == .pending else { throw Conflict(current: current) }
        if approved, remember == .workspace, current.workspaceId == nil {
            throw ValidationError(
                field: "remember",
                message: "the call was not made in a workspace, so there is none to remember it in; "
                    + "use remember: session or none")
        }
        let trimmed = note?.trimmingCharacters(in: .whitespacesAndNewlines)
        let resolution = (trimmed?.isEmpty ?? true) ? nil : trimmed
        let stored = approved ? remember : .none
        switch try repository.resolve(
            id, status: approved ? .approved : .denied, resolution: resolution, resolvedBy: reviewer, remember: stored)
        {
        case .alreadyResolved(let current):
            throw Conflict(current: current)
        case .resolved(let approval):
            var rule: RouteRule?
            if approved {
                switch remember {
                case .none:
                    break
                case .session:
                    if let sessionId = waiters.withLock({ $0[id]?.sessionId }) ?? approval.sessionId {
                        remembered.withLock {
                            _ = $0.insert(SessionTool(sessionId: sessionId, toolName: approval.toolName))
                        }
                    }
                case .workspace:
                    do {
                        rule = try rememberInWorkspace(approval)
                    } catch {
                        Self.logger.error("approval \(approval.id): the workspace rule was not added: \(error)")
                    }
                }
            }
            let resolved = Resolved(approval: approval, rule: rule)
            events.publish(EventType.approvalResolved, resolved)
            let reason = resolution.map { "The reviewer said: \($0)" } ?? "A reviewer denied it."
            resume(id, with: approved ? .approved : .denied(reason: reason))
            return resolved
        }
    }

    /// Forgets what `remember: session` allowed in a session that ended.
    public func sessionEnded(_ sessionId: String) {
        remembered.withLock { $0 = $0.filter { $0.sessionId != sessionId } }
    }

    /// An allow rule for exactly this tool in the approval's workspace, one priority above the rule
    /// that asked for approval, routed like it.
    private func rememberInWorkspace(_ approval: Approval) throws -> RouteRule {
        let routes = RouteRuleRepository(database)
        let asking = approval.ruleId.flatMap { try? routes.get($0) }
        let rule = RouteRule(
            name: "approved-\(approval.id.suffix(8).lowercased())", workspaceId: approval.workspaceId,
            pathGlob: asking?.pathGlob ?? RouteRule.defaultPathGlob, toolPattern: Self.literalGlob(approval.toolName),
            downstreamId: asking?.downstreamId, authScopeId: asking?.authScopeId, policy: .allow,
            priority: (asking?.priority ?? 0) + 1)
        return try routes.create(rule)
    }

    /// A glob matching exactly `name`.
    static func literalGlob(_ name: String) -> String {
        var pattern = ""
        for character in name {
            if "*?[]\\".contains(character) { pattern.append("\\") }
            pattern.append(character)
        }
        return pattern
    }
}
