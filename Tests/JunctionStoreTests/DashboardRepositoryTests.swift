import Foundation
import GRDB
import JunctionCore
import JunctionStore
import Testing

@Suite("DashboardRepository")
struct DashboardRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    /// 2023-11-14 22:00:00 UTC: a whole hour, so a boundary of every range's buckets.
    static let hour = Date(timeIntervalSince1970: 1_699_999_200)
    /// The snapshots' `now`: 30.25 s into the last bucket of every range.
    static let now = at(30.25)
    /// Where the 1h range starts: 59 whole minutes before the minute that holds `now`.
    static let hourFrom = at(-59 * 60)

    /// `seconds` after ``hour`` (before, when negative). Fractions stay binary-exact (.5, .25) so
    /// that the stored milliseconds are exactly the intended ones.
    static func at(_ seconds: Double) -> Date { hour.addingTimeInterval(seconds) }

    /// An audited call `seconds` after ``hour``.
    static func call(
        _ seconds: Double, tool: String = "gh__search", status: AuditRecord.Status = .ok, latency: Double = 1,
        server: String? = "d-gh", serverName: String? = "github", rule: String? = nil, cacheHit: Bool = false,
        code: Int? = nil, message: String? = nil, id: String = ULID.make()
    ) -> AuditRecord {
        AuditRecord(
            id: id, createdAt: at(seconds), toolName: tool, downstreamId: server, downstreamName: serverName,
            ruleId: rule, decision: status == .denied ? .deny : .allow, status: status, errorCode: code,
            errorMessage: message, latencyMs: latency, cacheHit: cacheHit)
    }

    func snapshot(_ range: DashboardRange = .oneHour) throws -> DashboardSnapshot {
        try store.dashboard.snapshot(range: range, now: Self.now)
    }

    /// An approval request created `seconds` after ``hour``, resolved `waitMs` later unless pending.
    func approval(_ seconds: Double, status: String, waitMs: Int? = nil) throws {
        let created = Self.at(seconds)
        let resolved = waitMs.map { created.addingTimeInterval(Double($0) / 1000) }
        try store.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO approvals (id, created_at, tool_name, status, expires_at, resolved_at)
                    VALUES (?, ?, 'gh__create_issue', ?, ?, ?)
                    """,
                arguments: [ULID.make(), created, status, created.addingTimeInterval(300), resolved])
        }
    }

    // MARK: - Ranges and buckets

    @Test("each range starts on a bucket boundary so that the bucket holding now is its last")
    func windows() throws {
        let expected: [(DashboardRange, Int, Int, Double)] = [
            (.oneHour, 60, 60, -59 * 60), (.sixHours, 300, 72, -71 * 300),
            (.oneDay, 900, 96, -95 * 900), (.sevenDays, 3600, 168, -167 * 3600),
        ]
        for (range, bucket, count, start) in expected {
            #expect(range.bucketSeconds == bucket && range.bucketCount == count)
            #expect(range.start(endingAt: Self.now) == Self.at(start))
            // Exactly on a boundary, now opens the last bucket.
            #expect(range.start(endingAt: Self.hour) == Self.at(start))
            #expect(range.start(endingAt: Self.at(-0.5)) == Self.at(start - Double(bucket)))

            let snapshot = try snapshot(range)
            #expect(snapshot.range == range && snapshot.bucketSec == bucket)
            #expect(snapshot.from == Self.at(start) && snapshot.to == Self.now)
            #expect(snapshot.timeSeries.count == count)
            #expect(snapshot.timeSeries.first?.t == snapshot.from)
            #expect(snapshot.timeSeries.last?.t == Self.hour)
        }
        #expect(DashboardRange.allCases.map(\.rawValue) == ["1h", "6h", "24h", "7d"])
        #expect(DashboardRange(rawValue: "24h") == .oneDay && DashboardRange(rawValue: "2h") == nil)
    }

    @Test("an empty database gives zero counts, null latencies and a series of zero points")
    func empty() throws {
        let snapshot = try snapshot()
        #expect(snapshot.totals == DashboardSnapshot.Totals())
        #expect(snapshot.totals.avgLatencyMs == nil && snapshot.totals.p95LatencyMs == nil)
        for (index, point) in snapshot.timeSeries.enumerated() {
            #expect(point == DashboardSnapshot.TimePoint(t: Self.hourFrom.addingTimeInterval(Double(index * 60))))
        }
        #expect(snapshot.toolLeaderboard.isEmpty && snapshot.downstreams.isEmpty && snapshot.errors.isEmpty)
        #expect(snapshot.routeHits == DashboardSnapshot.RouteHits())
        #expect(snapshot.sessions == DashboardSnapshot.Sessions())
        #expect(snapshot.approvals == DashboardSnapshot.Approvals())
    }

    @Test("calls fall into the bucket they started in; the range's edges are inclusive, outside is excluded")
    func timeSeries() throws {
        try store.audit.insert([
            Self.call(-3541, status: .error, latency: 900),  // a second before the range
            Self.call(-3540, latency: 2),  // the range's first instant
            Self.call(-3540 + 59.5, status: .error, latency: 4),
            Self.call(-3480, status: .denied, latency: 10),  // the second bucket's first instant
            Self.call(-1, status: .timeout, latency: 7),
            Self.call(0, latency: 1.5),  // the last bucket's first instant
            Self.call(30.25, status: .approvalTimeout, latency: 2.5),  // now
            Self.call(31.25, latency: 900),  // after now
        ])
        let series = try snapshot().timeSeries
        #expect(series.count == 60)
        let point = { (index: Int) in Self.hourFrom.addingTimeInterval(Double(index * 60)) }
        #expect(series[0] == .init(t: point(0), requests: 2, errors: 1, denied: 0, avgLatencyMs: 3))
        #expect(series[1] == .init(t: point(1), requests: 1, errors: 0, denied: 1, avgLatencyMs: 10))
        #expect(series[58] == .init(t: point(58), requests: 1, errors: 1, denied: 0, avgLatencyMs: 7))
        #expect(series[59] == .init(t: Self.hour, requests: 2, errors: 0, denied: 1, avgLatencyMs: 2))
        for index in 2..<58 { #expect(series[index] == .init(t: point(index))) }
        #expect(series.map(\.requests).reduce(0, +) == 6)
    }

    @Test("longer ranges use wider buckets: a call three days ago lands in its hour of the 7d series")
    func weekBuckets() throws {
        try store.audit.insert([
            Self.call(-3 * 86400 + 1800, latency: 5),
            Self.call(-167 * 3600 - 1, latency: 5),  // just before the 7d range
        ])
        let week = try snapshot(.sevenDays)
        #expect(week.totals.requests == 1)
        let hits = week.timeSeries.indices.filter { week.timeSeries[$0].requests > 0 }
        #expect(hits == [95])
        #expect(week.timeSeries[95].t == Self.at(-3 * 86400))
        #expect(try snapshot(.oneDay).totals.requests == 0)
    }

    // MARK: - Totals

    @Test("totals count errors, denials, cancellations and cache hits; percentiles are exact by nearest rank")
    func totals() throws {
        // Latencies 1…20 ms, inserted out of order, spread over the range.
        let statuses: [AuditRecord.Status] =
            Array(repeating: .ok, count: 12) + [.error, .error, .error, .timeout]
            + [.denied, .approvalDenied, .approvalTimeout, .cancelled]
        let latencies = [7, 13, 1, 20, 2, 19, 3, 18, 4, 17, 5, 16, 6, 15, 8, 14, 9, 12, 10, 11]
        try store.audit.insert(
            zip(statuses, latencies).enumerated().map { index, pair in
                Self.call(
                    -3540 + Double(index) * 150, status: pair.0, latency: Double(pair.1), cacheHit: index < 3)
            })
        try store.audit.insert([
            Self.call(-3541, status: .error, latency: 5000),
            Self.call(31.25, status: .denied, latency: 6000),
        ])

        let totals = try snapshot().totals
        #expect(totals.requests == 20 && totals.errors == 4 && totals.denied == 3 && totals.cancelled == 1)
        #expect(totals.errorRate == 0.2)
        #expect(totals.cacheHits == 3 && totals.cacheHitRate == 0.15)
        #expect(totals.avgLatencyMs == 10.5)
        #expect(totals.p50LatencyMs == 10 && totals.p95LatencyMs == 19)
    }

    @Test("percentiles of small sets: one value is every percentile, two split at the median")
    func smallPercentiles() throws {
        try store.audit.insert([Self.call(0, latency: 0.125)])
        #expect(try snapshot().totals.p50LatencyMs == 0.125)
        #expect(try snapshot().totals.p95LatencyMs == 0.125)

        try store.audit.insert([Self.call(1, latency: 8)])
        let totals = try snapshot().totals
        #expect(totals.p50LatencyMs == 0.125 && totals.p95LatencyMs == 8)
        #expect(totals.avgLatencyMs == 4.063)  // 4.0625 rounded to the microsecond
    }

    // MARK: - Breakdowns

    @Test("the leaderboard ranks the ten most called tools, ties by name, with their own figures")
    func leaderboard() throws {
        var records: [AuditRecord] = []
        // tool_01 … tool_12 with 1 … 12 calls; tool_03 and tool_04 both end up with 4.
        for number in 1...12 {
            let calls = number == 3 ? 4 : number
            for index in 0..<calls {
                records.append(
                    Self.call(
                        -600 + Double(index), tool: String(format: "ns__tool_%02d", number),
                        latency: Double(index + 1)))
            }
        }
        // Out of range: would make tool_01 the leader.
        records += (0..<20).map { _ in Self.call(-4000, tool: "ns__tool_01") }
        try store.audit.insert(records)

        let board = try snapshot().toolLeaderboard
        let expected = ([12, 11, 10, 9, 8, 7, 6, 5, 3, 4]).map { String(format: "ns__tool_%02d", $0) }
        #expect(board.map(\.toolName) == expected)
        #expect(board.map(\.calls) == [12, 11, 10, 9, 8, 7, 6, 5, 4, 4])
        let top = try #require(board.first)
        // Latencies 1…12: mean 6.5, nearest-rank p95 is the 12th value.
        #expect(top.avgLatencyMs == 6.5 && top.p95LatencyMs == 12 && top.errors == 0)
        #expect(top.lastCalledAt == Self.at(-600 + 11) && top.downstreamName == "github")
    }

    @Test("a tool's errors and downstream: the latest call that was routed names it")
    func leaderboardDetails() throws {
        try store.audit.insert([
            Self.call(-300, tool: "gh__issue", server: "d-gh", serverName: "github-old"),
            Self.call(-200, tool: "gh__issue", status: .error, latency: 3, serverName: "github"),
            Self.call(-100, tool: "gh__issue", status: .timeout, latency: 5, server: nil, serverName: nil),
            Self.call(-50, tool: "gh__issue", status: .denied, latency: 7, server: nil, serverName: nil),
        ])
        let stat = try #require(try snapshot().toolLeaderboard.first)
        #expect(
            stat
                == DashboardSnapshot.ToolStat(
                    toolName: "gh__issue", downstreamName: "github", calls: 4, errors: 2, avgLatencyMs: 4,
                    p95LatencyMs: 7, lastCalledAt: Self.at(-50)))
    }

    @Test("downstreams: calls, errors, mean latency and the latest error, under their latest name")
    func downstreams() throws {
        try store.audit.insert([
            Self.call(-500, latency: 2, server: "d-gh", serverName: "gh-old"),
            Self.call(-400, status: .error, latency: 4, server: "d-gh", message: "boom 1"),
            Self.call(-300, status: .timeout, latency: 6, server: "d-gh", message: "timed out"),
            Self.call(-200, status: .denied, latency: 8, server: "d-gh", message: "denied is no error"),
            Self.call(-100, tool: "fs__read", latency: 1, server: "d-fs", serverName: "files"),
            Self.call(-50, tool: "fs__read", status: .denied, server: nil, serverName: nil),
            Self.call(-4000, status: .error, server: "d-old", serverName: "old", message: "before the range"),
        ])
        let stats = try snapshot().downstreams
        #expect(
            stats == [
                DashboardSnapshot.DownstreamStat(
                    serverId: "d-gh", name: "github", calls: 4, errors: 2, avgLatencyMs: 5, lastError: "timed out",
                    lastErrorAt: Self.at(-300)),
                DashboardSnapshot.DownstreamStat(
                    serverId: "d-fs", name: "files", calls: 1, errors: 0, avgLatencyMs: 1, lastError: nil,
                    lastErrorAt: nil),
            ])
    }

    @Test(
        "errors group by status and code, most frequent first, with the latest message; ok and cancelled are not errors"
    )
    func errorGroups() throws {
        try store.audit.insert([
            Self.call(-500, status: .error, code: -32603, message: "first"),
            Self.call(-400, status: .error, code: -32603, message: "second"),
            Self.call(-300, status: .error, code: -32603, message: "latest"),
            Self.call(-250, status: .error, code: -32000, message: "other code"),
            Self.call(-200, status: .timeout, code: nil, message: nil),
            Self.call(-150, status: .timeout, code: nil, message: "slow"),
            Self.call(-100, status: .denied, code: -32050, message: "denied by rule"),
            Self.call(-90, status: .ok),
            Self.call(-80, status: .cancelled),
            Self.call(-4000, status: .error, code: -32603, message: "before the range"),
        ])
        let groups = try snapshot().errors
        #expect(
            groups == [
                .init(status: .error, errorCode: -32603, count: 3, lastMessage: "latest", lastAt: Self.at(-300)),
                .init(status: .timeout, errorCode: nil, count: 2, lastMessage: "slow", lastAt: Self.at(-150)),
                .init(
                    status: .denied, errorCode: -32050, count: 1, lastMessage: "denied by rule", lastAt: Self.at(-100)),
                .init(status: .error, errorCode: -32000, count: 1, lastMessage: "other code", lastAt: Self.at(-250)),
            ])
    }

    @Test("at most 20 error groups are listed")
    func errorGroupLimit() throws {
        try store.audit.insert((0..<25).map { Self.call(Double(-$0), status: .error, code: -32000 - $0) })
        let groups = try snapshot().errors
        #expect(groups.count == DashboardRepository.errorGroupLimit)
        // All tied at one call: the most recent first.
        #expect(groups.first?.errorCode == -32000 && groups.last?.errorCode == -32019)
    }

    @Test("route hits per rule with denials and last hit, a deleted rule without a name, and unmatched calls")
    func routeHits() throws {
        let rule = try store.rule("gh__*", name: "gh-deny", policy: .deny)
        try store.audit.insert([
            Self.call(-300, status: .denied, rule: rule.id),
            Self.call(-200, status: .approvalDenied, rule: rule.id),
            Self.call(-100, rule: rule.id),
            Self.call(-250, rule: "deleted-rule"),
            Self.call(-50),
            Self.call(-40),
            Self.call(-4000, rule: rule.id),
        ])
        let hits = try snapshot().routeHits
        #expect(hits.unmatched == 2)
        #expect(
            hits.rules == [
                .init(ruleId: rule.id, ruleName: "gh-deny", calls: 3, denied: 2, lastHitAt: Self.at(-100)),
                .init(ruleId: "deleted-rule", ruleName: nil, calls: 1, denied: 0, lastHitAt: Self.at(-250)),
            ])
    }

    // MARK: - Sessions and approvals

    @Test("sessions: every active one however old, most recently seen first, and those started in the range")
    func sessions() throws {
        let sessions = store.sessions
        try sessions.open(SessionInfo(id: "old", clientName: "cursor", transport: .socket, startedAt: Self.at(-9000)))
        try sessions.touch("old", at: Self.at(-10))
        try sessions.open(
            SessionInfo(id: "new", clientName: "claude-code", clientVersion: "2.1", startedAt: Self.at(-60)))
        try sessions.open(SessionInfo(id: "closed", startedAt: Self.at(-120)))
        try sessions.close("closed", at: Self.at(-30))
        try sessions.open(SessionInfo(id: "edge", startedAt: Self.hourFrom))
        try sessions.touch("edge", at: Self.at(-20))

        let snapshot = try snapshot().sessions
        #expect(snapshot.active == 3 && snapshot.startedInRange == 3)
        #expect(snapshot.activeSessions.map(\.id) == ["old", "edge", "new"])
        #expect(snapshot.activeSessions.last == (try sessions.find("new")))
    }

    @Test("approvals: counts by status for the range, every pending one, and the mean wait of resolved ones")
    func approvals() throws {
        try approval(-9000, status: "pending")
        try approval(-100, status: "pending")
        try approval(-500, status: "approved", waitMs: 1500)
        try approval(-400, status: "approved", waitMs: 2250)
        try approval(-300, status: "denied", waitMs: 125)
        try approval(-200, status: "timed_out", waitMs: 4125)
        try approval(-9000, status: "approved", waitMs: 60_000)
        try approval(-9000, status: "expired", waitMs: 60_000)

        #expect(
            try snapshot().approvals
                == DashboardSnapshot.Approvals(
                    pending: 2, approved: 2, denied: 1, timedOut: 1, cancelled: 0, expired: 0, avgWaitMs: 2000))

        try approval(-50, status: "cancelled", waitMs: 0)
        try approval(-40, status: "expired", waitMs: 4000)
        let later = try snapshot().approvals
        #expect(later.cancelled == 1 && later.expired == 1 && later.avgWaitMs == 2000)
    }

    // MARK: - Encoding and access

    @Test("the snapshot encodes with snake_case keys, every key present, absent values as null")
    func encoding() throws {
        try store.audit.insert([Self.call(0, latency: 2, rule: "r1")])
        try store.sessions.open(SessionInfo(id: "s1", startedAt: Self.at(-5)))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(try snapshot())
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])

        func keys(_ value: Any?) -> [String] { ((value as? [String: Any])?.keys).map { $0.sorted() } ?? [] }
        func first(_ value: Any?) -> Any? { (value as? [Any])?.first }
        #expect(
            keys(json) == [
                "approvals", "bucket_sec", "downstreams", "errors", "from", "range", "route_hits", "sessions",
                "time_series", "to", "tool_leaderboard", "totals",
            ])
        #expect(json["range"] as? String == "1h" && json["bucket_sec"] as? Int == 60)
        #expect(json["from"] as? String == "2023-11-14T21:01:00Z")
        #expect(
            keys(json["totals"]) == [
                "avg_latency_ms", "cache_hit_rate", "cache_hits", "cancelled", "denied", "error_rate", "errors",
                "p50_latency_ms", "p95_latency_ms", "requests",
            ])
        let series = try #require(json["time_series"] as? [[String: Any]])
        #expect(keys(series[0]) == ["avg_latency_ms", "denied", "errors", "requests", "t"])
        #expect(series[0]["avg_latency_ms"] is NSNull && series[0]["t"] as? String == "2023-11-14T21:01:00Z")
        #expect(
            keys(first(json["tool_leaderboard"])) == [
                "avg_latency_ms", "calls", "downstream_name", "errors", "last_called_at", "p95_latency_ms",
                "tool_name",
            ])
        let downstream = try #require(first(json["downstreams"]) as? [String: Any])
        #expect(
            keys(downstream) == [
                "avg_latency_ms", "calls", "errors", "last_error", "last_error_at", "name", "server_id",
            ])
        #expect(downstream["last_error"] is NSNull)
        #expect(keys(json["route_hits"]) == ["rules", "unmatched"])
        let rule = first((json["route_hits"] as? [String: Any])?["rules"])
        #expect(keys(rule) == ["calls", "denied", "last_hit_at", "rule_id", "rule_name"])
        #expect(keys(json["sessions"]) == ["active", "active_sessions", "started_in_range"])
        #expect(
            keys(json["approvals"]) == [
                "approved", "avg_wait_ms", "cancelled", "denied", "expired", "pending", "timed_out",
            ])
        #expect((json["approvals"] as? [String: Any])?["avg_wait_ms"] is NSNull)

        try store.audit.insert([Self.call(1, status: .error, code: nil)])
        let errors = try JSONSerialization.jsonObject(with: try encoder.encode(try snapshot().errors)) as? [Any]
        #expect(keys(first(errors)) == ["count", "error_code", "last_at", "last_message", "status"])
    }

    @Test("the async snapshot is the same as the blocking one")
    func asyncSnapshot() async throws {
        try await store.audit.insert([Self.call(-10, status: .error, latency: 3, rule: "r1")])
        let awaited = try await store.dashboard.snapshot(range: .sixHours, now: Self.now)
        #expect(awaited == (try snapshot(.sixHours)))  // the helper is synchronous: the blocking overload
        #expect(awaited.totals.errors == 1)
    }
}
