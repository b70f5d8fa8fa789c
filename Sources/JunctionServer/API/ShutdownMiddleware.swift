import Hummingbird
import Synchronization

/// Set once the daemon starts shutting down; read by `ShutdownMiddleware`.
public final class ShutdownFlag: Sendable {
    private let value = Atomic(false)

    public init() {}

    public func set() { value.store(true, ordering: .releasing) }
    public var isSet: Bool { value.load(ordering: .acquiring) }
}

/// Once shutdown has begun the API takes no new work: every request gets 503 `shutting_down`
/// (requests already being served, event streams included, go on until shutdown ends them).
struct ShutdownMiddleware: RouterMiddleware {
    typealias Context = APIContext

    let flag: ShutdownFlag

    func handle(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        if flag.isSet {
            throw APIError(.serviceUnavailable, code: "shutting_down", "the Junction daemon is shutting down")
        }
        return try await next(request, context)
    }
}
