import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// `GET /admin/servers`, `GET /admin/servers/{name}` and `GET /metrics/proxy`.
///
/// `last_health_check` is the pool's last periodic check of the running server (a `ping`, see
/// docs/health.md), else the last time it answered (a call it served, a start that finished its
/// handshake, a discovery) since the daemon started: idle-stopped servers are not pinged.
/// `error_count` counts failed calls, crashes and failed starts.
extension ProxyEngineController {
    struct ServerSummary: Encodable, Sendable {
        var name: String
        var enabled: Bool
        var connected: Bool
        var type: String
        @Nullable var url: String? = nil
        @Nullable var command: String? = nil
        var toolsCount: Int
        @Nullable var lastHealthCheck: Date? = nil
        var connectionStatus: String
        var errorCount: Int
        @Nullable var lastError: String? = nil

        enum CodingKeys: String, CodingKey {
            case name, enabled, connected, type, url, command
            case toolsCount = "tools_count"
            case lastHealthCheck = "last_health_check"
            case connectionStatus = "connection_status"
            case errorCount = "error_count"
            case lastError = "last_error"
        }

        init(_ facts: SeedServerFacts) {
            name = facts.downstream.name
            enabled = facts.downstream.enabled
            connected = facts.isRunning
            type = facts.proxyType
            url = facts.downstream.url
            command = facts.downstream.command
            toolsCount = facts.toolCount
            lastHealthCheck = facts.status.health.lastCheck ?? facts.activity.lastAnswered
            connectionStatus = Self.connectionStatus(facts)
            errorCount = facts.errorCount
            lastError = facts.status.lastError ?? facts.activity.lastError
        }

        /// `healthy` (running), `connecting`, `failed` (waiting out a backoff), `disconnected`
        /// (not running; it starts on demand), `disabled` (disabled or quarantined).
        static func connectionStatus(_ facts: SeedServerFacts) -> String {
            guard facts.usable else { return "disabled" }
            switch facts.status.state {
            case "running": return "healthy"
            case "starting": return "connecting"
            case "stopped": return "disconnected"
            default: return "failed"
            }
        }

    }

    struct ServerList: Encodable, Sendable {
        var servers: [ServerSummary]
    }

    struct ServerInfo: Encodable, Sendable {
        @Nullable var name: String? = nil
        @Nullable var version: String? = nil
        @Nullable var protocolVersion: String? = nil

        enum CodingKeys: String, CodingKey {
            case name, version
            case protocolVersion = "protocol_version"
        }

    }

    struct ServerTool: Encodable, Sendable {
        var name: String
        @Nullable var description: String? = nil
        var proxyName: String
        var originalName: String

        enum CodingKeys: String, CodingKey {
            case name, description
            case proxyName = "proxy_name"
            case originalName = "original_name"
        }

    }

    struct ConnectionDetails: Encodable, Sendable {
        @Nullable var connectedAt: Date? = nil
        @Nullable var lastHealthCheck: Date? = nil
        var healthStatus: String
        @Nullable var responseTimeMs: Double? = nil

        enum CodingKeys: String, CodingKey {
            case connectedAt = "connected_at"
            case lastHealthCheck = "last_health_check"
            case healthStatus = "health_status"
            case responseTimeMs = "response_time_ms"
        }

    }

    struct Statistics: Encodable, Sendable {
        var totalCalls: Int
        var successfulCalls: Int
        var failedCalls: Int
        @Nullable var averageResponseTimeMs: Double? = nil
        @Nullable var lastCall: Date? = nil

        enum CodingKeys: String, CodingKey {
            case totalCalls = "total_calls"
            case successfulCalls = "successful_calls"
            case failedCalls = "failed_calls"
            case averageResponseTimeMs = "average_response_time_ms"
            case lastCall = "last_call"
        }

    }

    struct ServerDetail: Encodable, Sendable {
        var summary: ServerSummary
        var serverInfo: ServerInfo?
        var tools: [ServerTool]
        var connectionDetails: ConnectionDetails
        var statistics: Statistics

        enum CodingKeys: String, CodingKey {
            case tools, statistics
            case serverInfo = "server_info"
            case connectionDetails = "connection_details"
        }

        func encode(to encoder: any Encoder) throws {
            try summary.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(serverInfo, forKey: .serverInfo)
            try container.encode(tools, forKey: .tools)
            try container.encode(connectionDetails, forKey: .connectionDetails)
            try container.encode(statistics, forKey: .statistics)
        }
    }

    func servers() async throws -> ServerList {
        ServerList(servers: try await SeedServerFacts.all(environment).map(ServerSummary.init))
    }

    /// The periodic checks' verdict on a running server (`healthy`, `degraded` while its checks
    /// fail, `unhealthy` once restarted for it); before any check, what its connection says.
    static func healthStatus(_ facts: SeedServerFacts, _ summary: ServerSummary) -> String {
        switch facts.status.health.state {
        case "healthy": return "healthy"
        case "failing": return "degraded"
        case "unhealthy": return "unhealthy"
        default:
            switch summary.connectionStatus {
            case "healthy": return "healthy"
            case "failed": return "unhealthy"
            default: return "unknown"
            }
        }
    }

    func server(_ name: String) async throws -> ServerDetail {
        let facts = await SeedServerFacts.of(try downstream(name), environment: environment)
        let downstream = facts.downstream
        let running = await environment.engine.pool.running().first { $0.key.downstreamId == downstream.id }
        let serverInfo = running.map { instance in
            let info = instance.initializeResult["serverInfo"]
            return ServerInfo(
                name: info?["name"]?.stringValue, version: info?["version"]?.stringValue,
                protocolVersion: instance.protocolVersion ?? facts.status.protocolVersion)
        }
        let tools = try CatalogRepository(environment.database).list(downstreamId: downstream.id, kind: .tool).map {
            let visible = ToolNaming.visibleName(namespace: downstream.namespace, name: $0.name)
            return ServerTool(name: visible, description: $0.description, proxyName: visible, originalName: $0.name)
        }
        let summary = ServerSummary(facts)
        return ServerDetail(
            summary: summary, serverInfo: serverInfo, tools: tools,
            connectionDetails: ConnectionDetails(
                connectedAt: facts.isRunning ? facts.activity.runningSince : nil,
                lastHealthCheck: summary.lastHealthCheck,
                healthStatus: Self.healthStatus(facts, summary),
                responseTimeMs: facts.status.health.responseTimeMs.map(Double.init) ?? facts.activity.averageLatencyMs),
            statistics: Statistics(
                totalCalls: facts.activity.calls, successfulCalls: facts.activity.succeeded,
                failedCalls: facts.activity.failed, averageResponseTimeMs: facts.activity.averageLatencyMs,
                lastCall: facts.activity.lastCall))
    }

    // MARK: - Metrics

    struct EngineMetrics: Encodable, Sendable {
        var uptimeSeconds: Double
        var toolsDiscovered: Int
        var toolsRegistered: Int
        var serversConnected: Int
        var discoveryCycles: Int
        @Nullable var lastDiscoveryDurationMs: Double? = nil

        enum CodingKeys: String, CodingKey {
            case uptimeSeconds = "uptime_seconds"
            case toolsDiscovered = "tools_discovered"
            case toolsRegistered = "tools_registered"
            case serversConnected = "servers_connected"
            case discoveryCycles = "discovery_cycles"
            case lastDiscoveryDurationMs = "last_discovery_duration_ms"
        }

    }

    struct CallMetrics: Encodable, Sendable {
        var totalCalls: Int
        var successfulCalls: Int
        var failedCalls: Int
        @Nullable var averageResponseTimeMs: Double? = nil
        var callsPerMinute: Double
        var errorRatePercent: Double

        enum CodingKeys: String, CodingKey {
            case totalCalls = "total_calls"
            case successfulCalls = "successful_calls"
            case failedCalls = "failed_calls"
            case averageResponseTimeMs = "average_response_time_ms"
            case callsPerMinute = "calls_per_minute"
            case errorRatePercent = "error_rate_percent"
        }

    }

    struct ServerMetrics: Encodable, Sendable {
        var calls: Int
        @Nullable var successRate: Double? = nil
        @Nullable var avgResponseTimeMs: Double? = nil
        @Nullable var lastError: Date? = nil

        enum CodingKeys: String, CodingKey {
            case calls
            case successRate = "success_rate"
            case avgResponseTimeMs = "avg_response_time_ms"
            case lastError = "last_error"
        }

    }

    struct Metrics: Encodable, Sendable {
        var engineMetrics: EngineMetrics
        var callMetrics: CallMetrics
        var serverMetrics: [String: ServerMetrics]

        enum CodingKeys: String, CodingKey {
            case engineMetrics = "engine_metrics"
            case callMetrics = "call_metrics"
            case serverMetrics = "server_metrics"
        }
    }

    /// Calls here are those that reached a server (answered, failed or timed out), since the
    /// daemon started; `last_error` of a server is when it last failed.
    func metrics() async throws -> Metrics {
        let facts = try await SeedServerFacts.all(environment)
        let tools = try await proxyTools()
        var servers: [String: ServerMetrics] = [:]
        var calls = 0
        var succeeded = 0
        var latency = 0.0
        for fact in facts {
            let record = fact.activity
            calls += record.calls
            succeeded += record.succeeded
            latency += record.latencyMsSum
            servers[fact.downstream.name] = ServerMetrics(
                calls: record.calls,
                successRate: record.calls == 0 ? nil : Double(record.succeeded) * 100 / Double(record.calls),
                avgResponseTimeMs: record.averageLatencyMs, lastError: record.lastErrorAt)
        }
        let uptime = uptimeSeconds
        return Metrics(
            engineMetrics: EngineMetrics(
                uptimeSeconds: uptime, toolsDiscovered: tools.count, toolsRegistered: tools.count(where: \.enabled),
                serversConnected: facts.count(where: \.isRunning), discoveryCycles: activity.discoveries,
                lastDiscoveryDurationMs: activity.lastRefreshMs),
            callMetrics: CallMetrics(
                totalCalls: calls, successfulCalls: succeeded, failedCalls: calls - succeeded,
                averageResponseTimeMs: calls == 0 ? nil : latency / Double(calls),
                callsPerMinute: uptime > 0 ? Double(calls) / (uptime / 60) : 0,
                errorRatePercent: calls == 0 ? 0 : Double(calls - succeeded) * 100 / Double(calls)),
            serverMetrics: servers)
    }
}
