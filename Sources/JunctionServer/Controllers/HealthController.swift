import Foundation
import Hummingbird
import JunctionCore

/// `GET /api/v1/health`: the daemon is up, its version, how long it has run, and which of its own
/// parts the ``Watchdog`` sees stalled (`status` is then `degraded`). Needs no database: the
/// daemon's HTTP servers answer it on the event loop (``HealthProbeHandler``); the router's
/// route serves the same document to requests the probe leaves alone.
struct HealthController {
    let environment: ServerEnvironment

    struct Health: ResponseEncodable, Sendable {
        var status: String
        var version: String
        var uptimeSec: Int
        var startedAt: Date
        var pid: Int32
        var stalled: [String]

        enum CodingKeys: String, CodingKey {
            case status, version, pid, stalled
            case uptimeSec = "uptime_sec"
            case startedAt = "started_at"
        }
    }

    /// The health document, from memory only.
    static func health(startedAt: Date, watchdog: Watchdog?) -> Health {
        let stalled = (watchdog?.stalled ?? []).map(\.rawValue).sorted()
        return Health(
            status: stalled.isEmpty ? "ok" : "degraded", version: JunctionVersion.current,
            uptimeSec: Int(Date().timeIntervalSince(startedAt)), startedAt: startedAt, pid: getpid(),
            stalled: stalled)
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("health") { [environment] _, _ in
            Self.health(startedAt: environment.startedAt, watchdog: environment.watchdog)
        }
    }
}
