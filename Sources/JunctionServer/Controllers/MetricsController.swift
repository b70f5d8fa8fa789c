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
        let route = environment.engine.routing.resolver.stats
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
        ]
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        let text = environment.metrics.render(gauges: gauges)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
