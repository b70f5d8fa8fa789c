import Foundation
import Hummingbird
import JunctionCore

/// `GET /api/v1/health`: the daemon is up, its version, and how long it has run.
struct HealthController {
    let environment: ServerEnvironment

    struct Health: ResponseEncodable {
        var status: String
        var version: String
        var uptimeSec: Int
        var startedAt: Date
        var pid: Int32

        enum CodingKeys: String, CodingKey {
            case status, version, pid
            case uptimeSec = "uptime_sec"
            case startedAt = "started_at"
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("health") { _, _ in
            Health(
                status: "ok", version: JunctionVersion.current,
                uptimeSec: Int(Date().timeIntervalSince(environment.startedAt)), startedAt: environment.startedAt,
                pid: getpid())
        }
    }
}
