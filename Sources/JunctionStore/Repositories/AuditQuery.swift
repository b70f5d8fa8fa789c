import Foundation
import JunctionCore

/// Which audit records to read: every filter that is set must match. Results come newest first.
public struct AuditQuery: Sendable, Hashable {
    public static let defaultLimit = 100
    public static let maximumLimit = 1000

    public var sessionId: String?
    public var workspaceId: String?
    public var downstreamId: String?
    public var toolName: String?
    public var status: AuditRecord.Status?
    /// The kinds of record to read: calls only unless asked (the native audit API and the
    /// dashboard are about calls; the activity API asks for the rest too).
    public var kinds: Set<AuditRecord.Kind> = [.call]
    /// Any of these statuses (with ``status``, both must match).
    public var statuses: Set<AuditRecord.Status>?
    /// The server's name as recorded (a server deleted since still matches its history).
    public var downstreamName: String?
    /// A tool by its server's own name or its client-visible name: `create_issue` matches
    /// `gh__create_issue` and `create_issue`.
    public var anyToolName: String?
    /// Only records created strictly after this instant.
    public var after: Date?
    /// Only records created strictly before this instant.
    public var before: Date?
    /// Page size: 1…``maximumLimit``; values outside are clamped.
    public var limit: Int
    /// Records to skip, newest first.
    public var offset: Int

    public init(
        sessionId: String? = nil,
        workspaceId: String? = nil,
        downstreamId: String? = nil,
        toolName: String? = nil,
        status: AuditRecord.Status? = nil,
        after: Date? = nil,
        before: Date? = nil,
        limit: Int = AuditQuery.defaultLimit,
        offset: Int = 0
    ) {
        self.sessionId = sessionId
        self.workspaceId = workspaceId
        self.downstreamId = downstreamId
        self.toolName = toolName
        self.status = status
        self.after = after
        self.before = before
        self.limit = limit
        self.offset = offset
    }

    /// ``limit`` clamped to 1…``maximumLimit``.
    public var effectiveLimit: Int { min(max(limit, 1), Self.maximumLimit) }

    /// ``offset``, never negative.
    public var effectiveOffset: Int { max(offset, 0) }
}
