import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// `GET /api/v1/dashboard?range=1h|6h|24h|7d`: one snapshot for the dashboard — the audit
/// figures of the range (totals, latency percentiles, time series, tool leaderboard, errors,
/// route hit map, sessions, approvals) plus what is live now: each server's state and the caches.
struct DashboardController {
    let environment: ServerEnvironment

    struct Dashboard: Encodable {
        var snapshot: DashboardSnapshot
        var servers: [ServerHealth]
        var cache: CacheController.Stats
        var uptimeSec: Int

        enum CodingKeys: String, CodingKey {
            case servers, cache
            case uptimeSec = "uptime_sec"
        }

        /// The snapshot's fields and the live ones side by side in one object.
        func encode(to encoder: any Encoder) throws {
            try snapshot.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(servers, forKey: .servers)
            try container.encode(cache, forKey: .cache)
            try container.encode(uptimeSec, forKey: .uptimeSec)
        }
    }

    struct ServerHealth: Encodable {
        var id: String
        var name: String
        var namespace: String
        var enabled: Bool
        var status: DownstreamPool.Status

        enum CodingKeys: String, CodingKey {
            case id, name, namespace, enabled, status
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("dashboard") { request, _ -> Response in
            let text = request.uri.queryParameters["range"].map(String.init) ?? "1h"
            guard let range = DashboardRange(rawValue: text) else {
                let known = DashboardRange.allCases.map(\.rawValue).joined(separator: ", ")
                throw APIError.badRequest("range must be one of \(known)", field: "range")
            }
            let snapshot = try await environment.dashboards.snapshot(range: range)
            var servers: [ServerHealth] = []
            for downstream in try DownstreamRepository(environment.database).list() {
                let status = await environment.engine.pool.status(of: downstream)
                servers.append(
                    ServerHealth(
                        id: downstream.id, name: downstream.name, namespace: downstream.namespace,
                        enabled: downstream.enabled, status: status))
            }
            return try APIResponse.json(
                Dashboard(
                    snapshot: snapshot, servers: servers, cache: CacheController.stats(environment),
                    uptimeSec: Int(Date().timeIntervalSince(environment.startedAt))))
        }
    }
}
