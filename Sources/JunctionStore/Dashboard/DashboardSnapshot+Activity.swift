import Foundation
import JunctionCore

extension DashboardSnapshot {
    /// Client sessions: those open now, and how many began in the range.
    public struct Sessions: Encodable, Sendable, Hashable {
        /// Every active session, however old.
        public var active: Int
        public var startedInRange: Int
        /// The active sessions, most recently seen first, at most ``DashboardRepository/activeSessionLimit``.
        public var activeSessions: [SessionInfo]

        public init(active: Int = 0, startedInRange: Int = 0, activeSessions: [SessionInfo] = []) {
            self.active = active
            self.startedInRange = startedInRange
            self.activeSessions = activeSessions
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case active
            case startedInRange = "started_in_range"
            case activeSessions = "active_sessions"
        }
    }

    /// Approval requests created in the range, by status; ``pending`` counts every request still
    /// waiting, however old.
    public struct Approvals: Encodable, Sendable, Hashable {
        public var pending: Int
        public var approved: Int
        public var denied: Int
        public var timedOut: Int
        public var cancelled: Int
        public var expired: Int
        /// The mean of `resolved_at - created_at` over the resolved requests created in the range;
        /// nil (`null`) when none was resolved.
        public var avgWaitMs: Double?

        public init(
            pending: Int = 0, approved: Int = 0, denied: Int = 0, timedOut: Int = 0, cancelled: Int = 0,
            expired: Int = 0, avgWaitMs: Double? = nil
        ) {
            self.pending = pending
            self.approved = approved
            self.denied = denied
            self.timedOut = timedOut
            self.cancelled = cancelled
            self.expired = expired
            self.avgWaitMs = avgWaitMs
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case pending, approved, denied, cancelled, expired
            case timedOut = "timed_out"
            case avgWaitMs = "avg_wait_ms"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(pending, forKey: .pending)
            try container.encode(approved, forKey: .approved)
            try container.encode(denied, forKey: .denied)
            try container.encode(timedOut, forKey: .timedOut)
            try container.encode(cancelled, forKey: .cancelled)
            try container.encode(expired, forKey: .expired)
            try container.encode(avgWaitMs, forKey: .avgWaitMs)
        }
    }
}
