import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// `GET /health/proxy` (MCP Proxy Engine seed): the engine's health and each enabled server's,
/// from the pool's periodic health checks (settings `health_check_interval_sec`,
/// `health_check_timeout_sec`, `health_check_failures`).
///
/// A server's `status` is `healthy` (its last check passed), `degraded` (its last checks failed,
/// not yet enough in a row to restart it), `unhealthy` (it stopped answering and was restarted;
/// until its new process passes a check), `unknown` (running, not checked yet) or `stopped` (not
/// running: servers start with their first call, and stop when idle; stopped servers are not
/// checked). `overall_health` is `healthy` when no server is degraded or unhealthy, `unhealthy`
/// when every server that runs or ran is, `degraded` otherwise.
struct ProxyHealthController {
    let environment: ServerEnvironment

    struct ServerHealth: Encodable, Sendable {
        var status: String
        var lastCheck: Date?
        var responseTimeMs: Int?
        var error: String?
        /// Junction's own: the pool state and the check counts.
        var state: String
        var consecutiveFailures: Int
        var errorCount: Int

        enum CodingKeys: String, CodingKey {
            case status, error, state
            case lastCheck = "last_check"
            case responseTimeMs = "response_time_ms"
            case consecutiveFailures = "consecutive_failures"
            case errorCount = "error_count"
        }
    }

    struct Answer: ResponseEncodable, Sendable {
        var status: String
        var engineStatus: String
        var servers: [String: ServerHealth]
        var overallHealth: String

        enum CodingKeys: String, CodingKey {
            case status, servers
            case engineStatus = "engine_status"
            case overallHealth = "overall_health"
        }
    }

    func addRoutes(to router: Router<APIContext>) {
        router.get("health/proxy") { _, _ in try await health() }
    }

    func health() async throws -> Answer {
        var servers: [String: ServerHealth] = [:]
        for downstream in try DownstreamRepository(environment.database).list() where downstream.enabled {
            servers[downstream.name] = Self.serverHealth(await environment.engine.pool.status(of: downstream))
        }
        let troubled = servers.values.count { $0.status == "degraded" || $0.status == "unhealthy" }
        let checked = servers.values.count { $0.status != "stopped" && $0.status != "unknown" }
        let overall = troubled == 0 ? "healthy" : (troubled == checked ? "unhealthy" : "degraded")
        let stopping = environment.shutdown.isSet
        return Answer(
            status: stopping ? "unhealthy" : "healthy", engineStatus: stopping ? "stopping" : "running",
            servers: servers, overallHealth: overall)
    }

    static func serverHealth(_ status: DownstreamPool.Status) -> ServerHealth {
        let health = status.health
        let running = status.state == "running"
        let verdict: String =
            switch health.state {
            case "healthy" where running: "healthy"
            case "failing" where running: "degraded"
            case "unhealthy": "unhealthy"
            case _ where running: "unknown"
            default: "stopped"
            }
        let failed = health.lastResult.flatMap { $0 == "ok" ? nil : $0 }
        return ServerHealth(
            status: verdict, lastCheck: health.lastCheck, responseTimeMs: failed == nil ? health.responseTimeMs : nil,
            error: verdict == "healthy" ? nil : failed ?? (verdict == "unhealthy" ? status.lastError : nil),
            state: status.state, consecutiveFailures: health.consecutiveFailures, errorCount: health.errorCount)
    }
}
