import Hummingbird
import JunctionStore

/// Runs every API handler on the database executor, never on Swift's cooperative pool.
///
/// Handlers call repositories, which use GRDB's synchronous API: on the pool, a handler waiting
/// for a SQLite connection blocks one of its few threads (one per core), and a handful of such
/// waits froze the whole daemon — even `/api/v1/health` — while async reads that held the
/// connections waited for a pool thread to resume. Preferring ``AppDatabase/executor`` (threads
/// of its own, fewer than the reader connections), a blocked handler blocks only its own thread.
///
/// Heavy reads (``isHeavy(_:)``) are admitted through an ``AdmissionGate`` first: a few run, a few
/// wait, the rest get 503 with `Retry-After`.
struct OffloadMiddleware: RouterMiddleware {
    typealias Context = APIContext

    let executor: BlockingExecutor
    let heavy: AdmissionGate

    func handle(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        guard request.method == .get, Self.isHeavy(request.uri.path) else {
            return try await withTaskExecutorPreference(executor) { try await next(request, context) }
        }
        guard await heavy.enter() else {
            throw APIError.busy(
                "too many heavy reads at once (dashboard, audit, tool search: \(heavy.running) running,"
                    + " \(heavy.waiting) waiting); try again shortly")
        }
        defer { heavy.leave() }
        return try await withTaskExecutorPreference(executor) { try await next(request, context) }
    }

    /// Reads whose cost grows with the audit trail or the catalog.
    static func isHeavy(_ path: String) -> Bool {
        switch path {
        case "/api/v1/dashboard", "/api/v1/audit", "/api/v1/audit/export", "/api/v1/tools", "/api/v1/search",
            "/api/v1/activity", "/api/v1/activity/export":
            return true
        default:
            return false
        }
    }
}
