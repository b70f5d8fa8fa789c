import Foundation
import GRDB
import JunctionCore

/// The admin dashboard's statistics, computed in SQL from `audit_records`, `sessions` and
/// `approvals` in one read transaction, so every figure of a snapshot agrees with the others.
///
/// Timestamps are stored as GRDB's UTC text (`YYYY-MM-DD HH:MM:SS.SSS`), which sorts as time: the
/// range is bound as `Date` arguments in that same format, so comparisons are exact and use the
/// `created_at` indexes.
public struct DashboardRepository: Sendable {
    /// How many active sessions a snapshot lists; its count of active sessions is exact.
    public static let activeSessionLimit = 100
    /// How many tools the leaderboard ranks.
    public static let leaderboardLimit = 10
    /// How many error groups a snapshot lists.
    public static let errorGroupLimit = 20

    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// The statistics of `range` ending at `now` (see ``DashboardRange/start(endingAt:)``).
    public func snapshot(range: DashboardRange, now: Date = Date()) throws(StoreError) -> DashboardSnapshot {
        let window = Window(range: range, now: now)
        return try database.read { db in try Self.snapshot(window, db) }
    }

    /// ``snapshot(range:now:)`` without blocking a thread of the caller's executor while SQLite
    /// works through the range.
    public func snapshot(range: DashboardRange, now: Date = Date()) async throws(StoreError) -> DashboardSnapshot {
        let window = Window(range: range, now: now)
        do {
            return try await database.reader.read { db in try Self.snapshot(window, db) }
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// The instants a snapshot covers: `from` (a bucket boundary) through `to` (now), both inclusive.
    struct Window: Sendable {
        let range: DashboardRange
        let from: Date
        let to: Date

        init(range: DashboardRange, now: Date) {
            self.range = range
            self.from = range.start(endingAt: now)
            self.to = now
        }

        /// Values for the `:from` and `:to` of ``DashboardRepository/inRange``, plus `extra`.
        func arguments(_ extra: [String: (any DatabaseValueConvertible)?] = [:]) -> StatementArguments {
            StatementArguments(extra.merging(["from": from, "to": to]) { _, window in window })
        }
    }

    private static func snapshot(_ window: Window, _ db: Database) throws -> DashboardSnapshot {
        let (totals, timeSeries) = try traffic(window, db)
        return DashboardSnapshot(
            range: window.range, from: window.from, to: window.to, bucketSec: window.range.bucketSeconds,
            totals: totals, timeSeries: timeSeries, toolLeaderboard: try toolLeaderboard(window, db),
            downstreams: try downstreams(window, db), errors: try errors(window, db),
            routeHits: try routeHits(window, db), sessions: try sessions(window, db),
            approvals: try approvals(window, db))
    }

    // MARK: - SQL fragments

    /// The window's condition on `created_at`.
    static let inWindow = "created_at >= :from AND created_at <= :to"
    /// The window's audit records that are calls (the trail also records changes, no traffic).
    static let inRange = inWindow + " AND kind = 'call'"

    static let errorStatusList = sqlList(DashboardSnapshot.errorStatuses)
    static let deniedStatusList = sqlList(DashboardSnapshot.deniedStatuses)
    static let countErrors = "count(CASE WHEN status IN \(errorStatusList) THEN 1 END)"
    static let countDenied = "count(CASE WHEN status IN \(deniedStatusList) THEN 1 END)"

    /// `('a', 'b')`: the raw values are fixed identifiers, never user input.
    private static func sqlList(_ statuses: [AuditRecord.Status]) -> String {
        "(" + statuses.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
    }

    // MARK: - Audit trail

    /// The totals and the time series, from one pass over the range: the totals are the sums of
    /// the buckets. The percentiles come from a second pass over the latencies alone.
    private static func traffic(
        _ window: Window, _ db: Database
    ) throws -> (DashboardSnapshot.Totals, [DashboardSnapshot.TimePoint]) {
        let bucket = window.range.bucketSeconds
        var points = (0..<window.range.bucketCount).map { index in
            DashboardSnapshot.TimePoint(t: window.from.addingTimeInterval(TimeInterval(index * bucket)))
        }
        var totals = DashboardSnapshot.Totals()
        var latencySum = 0.0
        // strftime('%s') truncates to whole seconds, and `from` is a whole second: the division
        // floors, so a call at a bucket's first millisecond belongs to that bucket.
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT (CAST(strftime('%s', created_at) AS INTEGER) - :fromSeconds) / :bucket AS bucket,
                    count(*) AS requests, \(countErrors) AS errors, \(countDenied) AS denied,
                    count(CASE WHEN status = 'cancelled' THEN 1 END) AS cancelled,
                    count(CASE WHEN cache_hit = 1 THEN 1 END) AS cache_hits, total(latency_ms) AS latency_sum
                FROM audit_records WHERE \(inRange)
                GROUP BY bucket
                """,
            arguments: window.arguments([
                "fromSeconds": Int(window.from.timeIntervalSince1970), "bucket": bucket,
            ]))
        while let row = try rows.next() {
            let index: Int = row["bucket"]
            let requests: Int = row["requests"]
            let sum: Double = row["latency_sum"]
            totals.requests += requests
            totals.errors += row["errors"]
            totals.denied += row["denied"]
            totals.cancelled += row["cancelled"]
            totals.cacheHits += row["cache_hits"]
            latencySum += sum
            guard points.indices.contains(index) else { continue }
            points[index].requests = requests
            points[index].errors = row["errors"]
            points[index].denied = row["denied"]
            points[index].avgLatencyMs = mean(sum, requests)
        }
        totals.errorRate = ratio(totals.errors, totals.requests)
        totals.cacheHitRate = ratio(totals.cacheHits, totals.requests)
        totals.avgLatencyMs = mean(latencySum, totals.requests)
        let latencies = try sortedLatencies(window, db)
        totals.p50LatencyMs = nearestRank(50, in: latencies)
        totals.p95LatencyMs = nearestRank(95, in: latencies)
        return (totals, points)
    }

    private static func toolLeaderboard(_ window: Window, _ db: Database) throws -> [DashboardSnapshot.ToolStat] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT tool_name, count(*) AS calls, \(countErrors) AS errors, avg(latency_ms) AS avg_latency,
                    max(created_at) AS last_at
                FROM audit_records WHERE \(inRange)
                GROUP BY tool_name
                ORDER BY calls DESC, tool_name
                LIMIT :limit
                """,
            arguments: window.arguments(["limit": leaderboardLimit]))
        return try rows.map { row in
            let tool: String = row["tool_name"]
            let calls: Int = row["calls"]
            let downstream = try latest(
                "downstream_name", where: "tool_name = :key AND downstream_name IS NOT NULL", key: tool, window, db)
            let latencies = try sortedLatencies(window, db, where: "tool_name = :key", key: tool)
            return DashboardSnapshot.ToolStat(
                toolName: tool, downstreamName: downstream?["downstream_name"], calls: calls, errors: row["errors"],
                avgLatencyMs: toMicros(row["avg_latency"]) ?? 0, p95LatencyMs: nearestRank(95, in: latencies) ?? 0,
                lastCalledAt: row["last_at"])
        }
    }

    private static func downstreams(_ window: Window, _ db: Database) throws -> [DashboardSnapshot.DownstreamStat] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT downstream_id, count(*) AS calls, \(countErrors) AS errors, avg(latency_ms) AS avg_latency
                FROM audit_records WHERE \(inRange) AND downstream_id IS NOT NULL
                GROUP BY downstream_id
                ORDER BY calls DESC, downstream_id
                """,
            arguments: window.arguments())
        return try rows.map { row in
            let id: String = row["downstream_id"]
            let named = try latest(
                "downstream_name", where: "downstream_id = :key AND downstream_name IS NOT NULL", key: id, window, db)
            let failed = try latest(
                "error_message, created_at", where: "downstream_id = :key AND status IN \(errorStatusList)", key: id,
                window, db)
            return DashboardSnapshot.DownstreamStat(
                serverId: id, name: named?["downstream_name"], calls: row["calls"], errors: row["errors"],
                avgLatencyMs: toMicros(row["avg_latency"]) ?? 0, lastError: failed?["error_message"],
                lastErrorAt: failed?["created_at"])
        }
    }

    private static func errors(_ window: Window, _ db: Database) throws -> [DashboardSnapshot.ErrorGroup] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT status, error_code, count(*) AS count, max(created_at) AS last_at
                FROM audit_records WHERE \(inRange) AND status NOT IN ('ok', 'cancelled')
                GROUP BY status, error_code
                ORDER BY count DESC, last_at DESC, status, error_code
                LIMIT :limit
                """,
            arguments: window.arguments(["limit": errorGroupLimit]))
        return try rows.map { row in
            let status: AuditRecord.Status = try row.enumValue("status")
            let code: Int? = row["error_code"]
            let last = try latest(
                "error_message", where: "status = :key AND error_code IS :code", key: status.rawValue,
                extra: ["code": code], window, db)
            return DashboardSnapshot.ErrorGroup(
                status: status, errorCode: code, count: row["count"], lastMessage: last?["error_message"],
                lastAt: row["last_at"])
        }
    }

    private static func routeHits(_ window: Window, _ db: Database) throws -> DashboardSnapshot.RouteHits {
        // A rule deleted since keeps its hits, without a name: history outlives configuration.
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT hits.rule_id, hits.calls, hits.denied, hits.last_at, route_rules.name AS rule_name
                FROM (
                    SELECT rule_id, count(*) AS calls, \(countDenied) AS denied, max(created_at) AS last_at
                    FROM audit_records WHERE \(inRange)
                    GROUP BY rule_id
                ) AS hits
                LEFT JOIN route_rules ON route_rules.id = hits.rule_id
                ORDER BY hits.calls DESC, hits.rule_id
                """,
            arguments: window.arguments())
        var hits = DashboardSnapshot.RouteHits()
        for row in rows {
            guard let ruleId: String = row["rule_id"] else {
                hits.unmatched = row["calls"]
                continue
            }
            hits.rules.append(
                DashboardSnapshot.RouteHits.Rule(
                    ruleId: ruleId, ruleName: row["rule_name"], calls: row["calls"], denied: row["denied"],
                    lastHitAt: row["last_at"]))
        }
        return hits
    }

    /// The latest audit record in the window that matches `condition` (ties: the greatest id),
    /// with only `columns`; `:key` (and the names in `extra`) are bound for `condition`.
    private static func latest(
        _ columns: String, where condition: String, key: String,
        extra: [String: (any DatabaseValueConvertible)?] = [:], _ window: Window, _ db: Database
    ) throws -> Row? {
        try Row.fetchOne(
            db,
            sql: """
                SELECT \(columns) FROM audit_records WHERE \(inRange) AND \(condition)
                ORDER BY created_at DESC, id DESC LIMIT 1
                """,
            arguments: window.arguments(extra.merging(["key": key]) { _, key in key }))
    }

    /// The latencies in the window that match `condition`, in ascending order. Sorted here rather
    /// than by SQLite: one O(n log n) sort of bare numbers is several times faster than SQLite's
    /// sorter, and serves every percentile of the set.
    private static func sortedLatencies(
        _ window: Window, _ db: Database, where condition: String = "1", key: String? = nil
    ) throws -> [Double] {
        try Double.fetchAll(
            db, sql: "SELECT latency_ms FROM audit_records WHERE \(inRange) AND \(condition)",
            arguments: window.arguments(["key": key])
        ).sorted()
    }

    // MARK: - Sessions and approvals

    private static func sessions(_ window: Window, _ db: Database) throws -> DashboardSnapshot.Sessions {
        let active = SessionInfo.filter(Column("status") == SessionInfo.Status.active.rawValue)
        let started =
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM sessions WHERE started_at >= :from AND started_at <= :to",
                arguments: window.arguments()) ?? 0
        return DashboardSnapshot.Sessions(
            active: try active.fetchCount(db), startedInRange: started,
            activeSessions: try active.order(Column("last_seen_at").desc, Column("id"))
                .limit(activeSessionLimit).fetchAll(db))
    }

    private static func approvals(_ window: Window, _ db: Database) throws -> DashboardSnapshot.Approvals {
        // julianday keeps the milliseconds; its rounding error (tens of µs) vanishes in round().
        guard
            let row = try Row.fetchOne(
                db,
                sql: """
                    SELECT (SELECT count(*) FROM approvals WHERE status = 'pending') AS pending,
                        count(CASE WHEN status = 'approved' THEN 1 END) AS approved,
                        count(CASE WHEN status = 'denied' THEN 1 END) AS denied,
                        count(CASE WHEN status = 'timed_out' THEN 1 END) AS timed_out,
                        count(CASE WHEN status = 'cancelled' THEN 1 END) AS cancelled,
                        count(CASE WHEN status = 'expired' THEN 1 END) AS expired,
                        avg(round((julianday(resolved_at) - julianday(created_at)) * 86400000.0)) AS avg_wait
                    FROM approvals WHERE \(inWindow)
                    """,
                arguments: window.arguments())
        else { return DashboardSnapshot.Approvals() }
        return DashboardSnapshot.Approvals(
            pending: row["pending"], approved: row["approved"], denied: row["denied"], timedOut: row["timed_out"],
            cancelled: row["cancelled"], expired: row["expired"], avgWaitMs: toMicros(row["avg_wait"]))
    }

    // MARK: - Numbers

    private static func ratio(_ part: Int, _ whole: Int) -> Double {
        whole > 0 ? Double(part) / Double(whole) : 0
    }

    /// The mean of `count` latencies that add up to `sum`, to the microsecond; nil when none.
    private static func mean(_ sum: Double, _ count: Int) -> Double? {
        count > 0 ? toMicros(sum / Double(count)) : nil
    }

    /// The nearest-rank percentile of `sorted`: the smallest value with at least `percent`% of the
    /// values at or below it, so always one of the values. Nil when there are none.
    static func nearestRank(_ percent: Int, in sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = (sorted.count * percent + 99) / 100
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// A mean in milliseconds rounded to the microsecond, the precision latencies are measured in.
    private static func toMicros(_ milliseconds: Double?) -> Double? {
        milliseconds.map { ($0 * 1000).rounded() / 1000 }
    }
}
