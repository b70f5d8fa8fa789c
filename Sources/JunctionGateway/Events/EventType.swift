/// The event types the engine and its bus publish. Payloads are JSON objects with snake_case keys
/// (``EventPayload``).
public enum EventType {
    /// A session routed a `tools/call`: ``EventPayload/PolicyDecision``.
    public static let policyDecision = "activity.policy_decision"
    /// A call was forwarded to its server: ``EventPayload/ToolCallStarted``.
    public static let toolCallStarted = "activity.tool_call.started"
    /// A call's audit record was queued: the redacted `AuditRecord` as the audit table keeps it
    /// (its `id` is the audit row id and the started event's `call_id`).
    public static let toolCallCompleted = "activity.tool_call.completed"
    /// A server's stored catalog changed: ``EventPayload/ToolsIndexed``.
    public static let toolsIndexed = "tools.indexed"
    /// A server's pool status changed: ``EventPayload/ServerChanged``.
    public static let serversChanged = "servers.changed"
    /// A server was quarantined or approved (by any process): ``EventPayload/QuarantineChanged``.
    public static let serverQuarantineChanged = "servers.quarantine_changed"
    /// A call was parked for approval: the pending `Approval`.
    public static let approvalRequested = "approval.requested"
    /// A parked call was approved, denied, timed out, cancelled or expired: the `Approval` in its
    /// final state, with `rule` when approving created one.
    public static let approvalResolved = "approval.resolved"
    /// Routing reloaded a changed configuration: ``EventPayload/ConfigReloaded``.
    public static let configReloaded = "config.reloaded"
    /// An auth scope signed in (OAuth tokens stored): ``EventPayload/OAuthChanged``.
    public static let oauthConnected = "oauth.connected"
    /// An auth scope's access token was refreshed: ``EventPayload/OAuthChanged``.
    public static let oauthTokenRefreshed = "oauth.token_refreshed"
    /// Refreshing failed; `reason` says why and what to do: ``EventPayload/OAuthChanged``.
    public static let oauthRefreshFailed = "oauth.refresh_failed"
    /// An auth scope signed out (tokens revoked where the server offers it, and deleted):
    /// ``EventPayload/OAuthChanged``.
    public static let oauthRevoked = "oauth.revoked"

    /// Synthetic, first on a resumed stream whose id is older than the history kept:
    /// ``EventPayload/StreamNotice``.
    public static let streamGap = "stream.gap"
    /// Synthetic, last on a stream whose reader fell behind: ``EventPayload/StreamNotice``.
    public static let streamDropped = "stream.dropped"
    /// Synthetic, last on every stream when the bus closes: ``EventPayload/StreamNotice``.
    public static let streamClosed = "stream.closed"
}
