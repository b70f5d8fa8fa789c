import Foundation
import JunctionCore

/// The admin dashboard's statistics over one ``DashboardRange``, computed from the audit trail,
/// the sessions and the approvals. Encodes with snake_case keys; absent values are written as
/// `null`, so clients see one stable shape. Dates follow the encoder's date strategy (ISO-8601 in
/// the admin API).
///
/// Latencies are in milliseconds, over every call in the range whatever its status: a call that
/// waited for approval counts the wait. Percentiles are exact, by nearest rank.
public struct DashboardSnapshot: Encodable, Sendable, Hashable {
    /// Statuses that count as errors: the call reached for a downstream and failed.
    public static let errorStatuses: [AuditRecord.Status] = [.error, .timeout]
    /// Statuses that count as denied: policy or a person refused the call, or nobody approved it.
    public static let deniedStatuses: [AuditRecord.Status] = [.denied, .approvalDenied, .approvalTimeout]

    public var range: DashboardRange
    /// The start of the first bucket (inclusive).
    public var from: Date
    /// The instant the snapshot was taken (inclusive).
    public var to: Date
    public var bucketSec: Int
    public var totals: Totals
    /// One point per bucket from ``from`` on, oldest first; buckets without calls are zeros.
    public var timeSeries: [TimePoint]
    /// The 10 most called tools, most calls first.
    public var toolLeaderboard: [ToolStat]
    /// Every downstream that a call in the range was routed to, most calls first.
    public var downstreams: [DownstreamStat]
    /// The 20 most frequent ways calls failed or were refused, most frequent first.
    public var errors: [ErrorGroup]
    public var routeHits: RouteHits
    public var sessions: Sessions
    public var approvals: Approvals

    public init(
        range: DashboardRange, from: Date, to: Date, bucketSec: Int, totals: Totals, timeSeries: [TimePoint],
        toolLeaderboard: [ToolStat], downstreams: [DownstreamStat], errors: [ErrorGroup], routeHits: RouteHits,
        sessions: Sessions, approvals: Approvals
    ) {
        self.range = range
        self.from = from
        self.to = to
        self.bucketSec = bucketSec
        self.totals = totals
        self.timeSeries = timeSeries
        self.toolLeaderboard = toolLeaderboard
        self.downstreams = downstreams
        self.errors = errors
        self.routeHits = routeHits
        self.sessions = sessions
        self.approvals = approvals
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case range, from, to, totals, downstreams, errors, sessions, approvals
        case bucketSec = "bucket_sec"
        case timeSeries = "time_series"
        case toolLeaderboard = "tool_leaderboard"
        case routeHits = "route_hits"
    }

    /// Every call in the range.
    public struct Totals: Encodable, Sendable, Hashable {
        public var requests: Int
        /// Calls whose status is one of ``DashboardSnapshot/errorStatuses``.
        public var errors: Int
        /// `errors / requests`, 0 without requests.
        public var errorRate: Double
        /// Calls whose status is one of ``DashboardSnapshot/deniedStatuses``.
        public var denied: Int
        /// Calls the client cancelled: neither errors nor denied.
        public var cancelled: Int
        public var cacheHits: Int
        /// `cache_hits / requests`, 0 without requests.
        public var cacheHitRate: Double
        /// Nil (`null`) without requests, like the percentiles.
        public var avgLatencyMs: Double?
        public var p50LatencyMs: Double?
        public var p95LatencyMs: Double?

        public init(
            requests: Int = 0, errors: Int = 0, errorRate: Double = 0, denied: Int = 0, cancelled: Int = 0,
            cacheHits: Int = 0, cacheHitRate: Double = 0, avgLatencyMs: Double? = nil, p50LatencyMs: Double? = nil,
            p95LatencyMs: Double? = nil
        ) {
            self.requests = requests
            self.errors = errors
            self.errorRate = errorRate
            self.denied = denied
            self.cancelled = cancelled
            self.cacheHits = cacheHits
            self.cacheHitRate = cacheHitRate
            self.avgLatencyMs = avgLatencyMs
            self.p50LatencyMs = p50LatencyMs
            self.p95LatencyMs = p95LatencyMs
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case requests, errors, denied, cancelled
            case errorRate = "error_rate"
            case cacheHits = "cache_hits"
            case cacheHitRate = "cache_hit_rate"
            case avgLatencyMs = "avg_latency_ms"
            case p50LatencyMs = "p50_latency_ms"
            case p95LatencyMs = "p95_latency_ms"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(requests, forKey: .requests)
            try container.encode(errors, forKey: .errors)
            try container.encode(errorRate, forKey: .errorRate)
            try container.encode(denied, forKey: .denied)
            try container.encode(cancelled, forKey: .cancelled)
            try container.encode(cacheHits, forKey: .cacheHits)
            try container.encode(cacheHitRate, forKey: .cacheHitRate)
            try container.encode(avgLatencyMs, forKey: .avgLatencyMs)
            try container.encode(p50LatencyMs, forKey: .p50LatencyMs)
            try container.encode(p95LatencyMs, forKey: .p95LatencyMs)
        }
    }

    /// The calls of one bucket `[t, t + bucket_sec)`.
    public struct TimePoint: Encodable, Sendable, Hashable {
        /// The start of the bucket.
        public var t: Date
        public var requests: Int
        public var errors: Int
        public var denied: Int
        /// Nil (`null`) for a bucket without calls: a gap in a chart, not a drop to zero.
        public var avgLatencyMs: Double?

        public init(t: Date, requests: Int = 0, errors: Int = 0, denied: Int = 0, avgLatencyMs: Double? = nil) {
            self.t = t
            self.requests = requests
            self.errors = errors
            self.denied = denied
            self.avgLatencyMs = avgLatencyMs
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case t, requests, errors, denied
            case avgLatencyMs = "avg_latency_ms"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(t, forKey: .t)
            try container.encode(requests, forKey: .requests)
            try container.encode(errors, forKey: .errors)
            try container.encode(denied, forKey: .denied)
            try container.encode(avgLatencyMs, forKey: .avgLatencyMs)
        }
    }
}
