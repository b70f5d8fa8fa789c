import Foundation
import Hummingbird
import JunctionStore

/// `GET /api/v1/doctor`: the findings of `junction doctor`, run by the daemon (its servers are
/// checked through its own pool), in MCPProxy's `{"success": true, "data": …}` envelope. The
/// answer is 200 whatever is found; `data.healthy` is false when something is wrong.
struct DoctorController {
    let environment: ServerEnvironment

    func addRoutes(to api: RouterGroup<APIContext>) {
        api.get("doctor", use: doctor)
    }

    @Sendable func doctor(_ request: Request, context: APIContext) async throws
        -> ConfigController.Envelope<
            Doctor.Report
        >
    {
        let doctor = Doctor(home: environment.home, clients: environment.clients)
        let report = await doctor.run(
            database: environment.database, pool: environment.engine.pool, daemonAnswers: true)
        return ConfigController.Envelope(data: report)
    }
}
