import Foundation
import JunctionCore
import JunctionGateway
import Synchronization

/// Counters for `GET /metrics` (Prometheus text format), kept from the engine's event feed so
/// scraping costs no database query: tool calls by status and server with a latency histogram,
/// policy decisions, and catalog and configuration changes.
public final class MetricsCollector: Sendable {
    /// Upper bounds of the latency histogram, seconds.
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

    struct CallKey: Hashable {
        var status: String
        var server: String
    }

    struct State {
        var calls: [CallKey: UInt64] = [:]
        var cacheHits: UInt64 = 0
        var bucketCounts = [UInt64](repeating: 0, count: MetricsCollector.buckets.count)
        var latencySum: Double = 0
        var latencyCount: UInt64 = 0
        var decisions: [String: UInt64] = [:]
        var configReloads: UInt64 = 0
        var toolsIndexed: UInt64 = 0
    }

    private let state = Mutex(State())
    /// Per-server and per-tool activity for the seed surfaces, fed from the same feed.
    public let activity = ServerActivity()

    public init() {}

    /// Follows the feed until cancelled, resubscribing if it was dropped.
    public func run(_ bus: EventBus) async {
        while !Task.isCancelled && !bus.isClosed {
            for await event in bus.subscribe() { record(event) }
        }
    }

    func record(_ event: Event) {
        activity.record(event)
        switch event.type {
        case EventType.toolCallCompleted:
            // The engine's own record, read as published: no JSON either way.
            guard let record = Self.completed(event) else { return }
            let seconds = record.latencyMs / 1000
            state.withLock { state in
                state.calls[CallKey(status: record.status, server: record.serverName ?? ""), default: 0] += 1
                if record.cacheHit { state.cacheHits += 1 }
                if let index = Self.buckets.firstIndex(where: { seconds <= $0 }) { state.bucketCounts[index] += 1 }
                state.latencySum += seconds
                state.latencyCount += 1
            }
        case EventType.policyDecision:
            guard let decision = Self.decision(event) else { return }
            state.withLock { $0.decisions[decision, default: 0] += 1 }
        case EventType.configReloaded:
            state.withLock { $0.configReloads += 1 }
        case EventType.toolsIndexed:
            state.withLock { $0.toolsIndexed += 1 }
        default:
            break
        }
    }

    /// What a completed call's event says, from its payload (or its JSON if published as JSON).
    private static func completed(_ event: Event) -> Completed? {
        if let record = event.payload as? AuditRecord {
            return Completed(
                status: record.status.rawValue, serverName: record.downstreamName, latencyMs: record.latencyMs,
                cacheHit: record.cacheHit)
        }
        return try? JSONDecoder().decode(Completed.self, from: Data(event.data))
    }

    /// The decision (`allow`, `deny`, `approve`) of a policy decision's event.
    private static func decision(_ event: Event) -> String? {
        if let payload = event.payload as? EventPayload.PolicyDecision { return payload.decision.rawValue }
        guard case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: Data(event.data)) else {
            return nil
        }
        return members["decision"]?.stringValue
    }

    /// The exposition text; `gauges` adds what is read live (servers by state, caches, uptime).
    func render(gauges: [(name: String, help: String, labels: [String: String], value: Double)]) -> String {
        let state = state.withLock { $0 }
        var out = ""
        func header(_ name: String, _ type: String, _ help: String) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        }
        header("junction_tool_calls_total", "counter", "Tool calls completed, by status and server.")
        for (key, count) in state.calls.sorted(by: { ($0.key.server, $0.key.status) < ($1.key.server, $1.key.status) })
        {
            out += "junction_tool_calls_total{\(Self.labels(["server": key.server, "status": key.status]))} \(count)\n"
        }
        header("junction_tool_call_cache_hits_total", "counter", "Tool calls answered from the result cache.")
        out += "junction_tool_call_cache_hits_total \(state.cacheHits)\n"
        header("junction_tool_call_duration_seconds", "histogram", "Tool call latency as audited.")
        var cumulative: UInt64 = 0
        for (bound, count) in zip(Self.buckets, state.bucketCounts) {
            cumulative += count
            out += "junction_tool_call_duration_seconds_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "junction_tool_call_duration_seconds_bucket{le=\"+Inf\"} \(state.latencyCount)\n"
        out += "junction_tool_call_duration_seconds_sum \(state.latencySum)\n"
        out += "junction_tool_call_duration_seconds_count \(state.latencyCount)\n"
        header("junction_policy_decisions_total", "counter", "Routing decisions for tools/call, by decision.")
        for (decision, count) in state.decisions.sorted(by: { $0.key < $1.key }) {
            out += "junction_policy_decisions_total{\(Self.labels(["decision": decision]))} \(count)\n"
        }
        header("junction_config_reloads_total", "counter", "Configuration changes picked up.")
        out += "junction_config_reloads_total \(state.configReloads)\n"
        header("junction_catalog_changes_total", "counter", "Server catalogs that changed when discovered.")
        out += "junction_catalog_changes_total \(state.toolsIndexed)\n"
        var described: Set<String> = []
        for gauge in gauges {
            if described.insert(gauge.name).inserted { header(gauge.name, "gauge", gauge.help) }
            let labels = gauge.labels.isEmpty ? "" : "{\(Self.labels(gauge.labels))}"
            out += "\(gauge.name)\(labels) \(gauge.value)\n"
        }
        return out
    }

    static func labels(_ labels: [String: String]) -> String {
        labels.sorted { $0.key < $1.key }.map { key, value in
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(
                of: "\"", with: "\\\""
            )
            .replacingOccurrences(of: "\n", with: "\\n")
            return "\(key)=\"\(escaped)\""
        }.joined(separator: ",")
    }
}

/// The fields of an `activity.tool_call.completed` payload (an audit record) the counters use.
private struct Completed: Decodable {
    var status: String
    var serverName: String?
    var latencyMs: Double
    var cacheHit: Bool

    enum CodingKeys: String, CodingKey {
        case status
        case serverName = "server_name"
        case latencyMs = "latency_ms"
        case cacheHit = "cache_hit"
    }
}
