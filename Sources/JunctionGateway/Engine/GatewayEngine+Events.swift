import Foundation
import JunctionCore

/// What the engine tells its event feed (`events`).
extension GatewayEngine {
    /// A session decided a `tools/call`; `record` is the call's audit record so far. Encoded and
    /// published on the audit queue, off the call's path, in order with the call's other events.
    func publishDecision(_ decision: Decision, record: AuditRecord) {
        let payload = EventPayload.PolicyDecision(
            callId: record.id, sessionId: record.sessionId ?? "", clientName: record.clientName,
            toolName: record.toolName, decision: decision.decision, reason: decision.reason,
            workspaceId: decision.workspace?.id, workspaceName: decision.workspace?.name,
            ruleId: decision.matchedRule?.id, ruleName: decision.matchedRule?.name,
            serverId: decision.downstream?.id, serverName: decision.downstream?.name)
        redactionQueue.async { [events] in events.publish(EventType.policyDecision, payload) }
    }

    /// A call is about to be sent to `downstream` as `serverToolName` (published like the decision).
    func publishStarted(_ record: AuditRecord, downstream: Downstream, serverToolName: String) {
        let payload = EventPayload.ToolCallStarted(
            callId: record.id, sessionId: record.sessionId ?? "", clientName: record.clientName,
            toolName: record.toolName, serverToolName: serverToolName, serverId: downstream.id,
            serverName: downstream.name, workspaceId: record.workspaceId, startedAt: Date(),
            requestId: record.requestId)
        redactionQueue.async { [events] in events.publish(EventType.toolCallStarted, payload) }
    }

    /// The stored catalog of `downstream` changed in `kinds`.
    func publishIndexed(_ downstream: Downstream, catalog: Catalog, kinds: Set<CatalogEntry.Kind>) {
        events.publish(
            EventType.toolsIndexed,
            EventPayload.ToolsIndexed(
                serverId: downstream.id, serverName: downstream.name,
                changedKinds: CatalogEntry.Kind.allCases.filter(kinds.contains), toolCount: catalog.tools.count,
                resourceCount: catalog.resources.count, promptCount: catalog.prompts.count))
    }

    func publishStatus(_ downstream: Downstream, _ status: DownstreamPool.Status) {
        events.publish(
            EventType.serversChanged, EventPayload.ServerChanged(status: status, serverName: downstream.name))
    }

    /// Servers whose quarantine differs from the last configuration read (a server added
    /// quarantined counts), and remembers the current state.
    func quarantineChanges() -> [Downstream] {
        let downstreams = self.downstreams
        return quarantineSeen.withLock { seen in
            let changed = downstreams.filter { (seen[$0.id] ?? false) != $0.quarantined }
            seen = Dictionary(downstreams.map { ($0.id, $0.quarantined) }, uniquingKeysWith: { _, last in last })
            return changed
        }
    }

    /// Publishes `servers.quarantine_changed` for each server quarantined or approved since the last
    /// configuration read.
    func publishQuarantineChanges() {
        for downstream in quarantineChanges() {
            events.publish(
                EventType.serverQuarantineChanged,
                EventPayload.QuarantineChanged(
                    serverId: downstream.id, serverName: downstream.name, quarantined: downstream.quarantined))
        }
    }

    func publishReload(generation: UInt64) {
        events.publish(EventType.configReloaded, EventPayload.ConfigReloaded(generation: generation))
    }
}
