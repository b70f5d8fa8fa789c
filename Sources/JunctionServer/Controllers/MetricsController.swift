import Foundation
import HTTPTypes
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore
import NIOCore

/// `GET /metrics` (also `/api/v1/metrics`): Prometheus text format. Counters come from the event
/// feed (``MetricsCollector``); gauges are read live: servers by state, sessions, cache sizes
/// and hit counts, event-feed subscribers, uptime.
struct MetricsController {
    let environment: ServerEnvironment

    func addRoutes(to group: RouterGroup<APIContext>, root: Router<APIContext>) {
        let handler: @Sendable (Request, APIContext) async throws -> Response = { _, _ in
            try await metrics()
        }
        group.get("metrics", use: handler)
        root.get("metrics", use: handler)
    }

    private func metrics() async throws -> Response {
        typealias Gauge = (name: String, help: String, labels: [String: String], value: Double)
        var gauges: [Gauge] = []
        var byState: [String: Int] = [:]
        for downstream in try DownstreamRepository(environment.database).list() {
            byState[await environment.engine.pool.status(of: downstream).state, default: 0] += 1
        }
        for state in ["stopped", "starting", "running", "backoff", "crash_loop"] {
            gauges.append(
                ("junction_servers", "Configured servers by state.", ["state": state], Double(byState[state] ?? 0)))
        }
        let route = environment.engine.routeCacheStats
        let results = environment.engine.resultCache.stats
        gauges += [
            ("junction_cache_entries", "Entries in each cache layer.", ["layer": "route"], Double(route.size)),
            ("junction_cache_entries", "Entries in each cache layer.", ["layer": "tool_call"], Double(results.entries)),
            ("junction_cache_hits", "Cache hits since start, by layer.", ["layer": "route"], Double(route.hits)),
            ("junction_cache_hits", "Cache hits since start, by layer.", ["layer": "tool_call"], Double(results.hits)),
            ("junction_cache_misses", "Cache misses since start, by layer.", ["layer": "route"], Double(route.misses)),
            (
                "junction_cache_misses", "Cache misses since start, by layer.", ["layer": "tool_call"],
                Double(results.misses)
            ),
            (
                "junction_sessions_active", "Client sessions open now (MCP clients through the socket or stdio).", [:],
                Double(environment.engine.activeSessionCount)
            ),
            (
                "junction_event_subscribers", "Open event-feed subscriptions (SSE clients and collectors).", [:],
                Double(environment.engine.events.subscriberCount)
            ),
            (
                "junction_uptime_seconds", "Seconds since the daemon started.", [:],
                Date().timeIntervalSince(environment.startedAt)
            ),
            (
                "junction_blocking_database_calls",
                "Synchronous database calls made on Swift's cooperative pool"
                    + " since start (should stay 0).", [:], Double(BlockingAllowed.violations)
            ),
            (
                "junction_database_executor_backlog", "Jobs waiting for a thread of the database executor.", [:],
                Double(environment.database.executor.backlog)
            ),
        ]
        let heavy = environment.heavyReads.counts
        gauges += [
            ("junction_heavy_reads", "Heavy admin reads by state.", ["state": "running"], Double(heavy.active)),
            ("junction_heavy_reads", "Heavy admin reads by state.", ["state": "queued"], Double(heavy.queued)),
            (
                "junction_heavy_reads_refused", "Heavy admin reads refused with 503 since start.", [:],
                Double(heavy.refused)
            ),
        ]
        if let watchdog = environment.watchdog {
            let counts = watchdog.stallCounts
            let stalled = watchdog.stalled
            for part in Watchdog.Part.allCases {
                gauges.append(
                    (
                        "junction_watchdog_stalled", "1 while the watchdog sees this part making no progress.",
                        ["part": part.rawValue], stalled.contains(part) ? 1 : 0
                    ))
                gauges.append(
                    (
                        "junction_watchdog_stalls", "Stalls the watchdog has seen since start.",
                        ["part": part.rawValue], Double(counts[part] ?? 0)
                    ))
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let text = environment.metrics.render(gauges: gauges)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
