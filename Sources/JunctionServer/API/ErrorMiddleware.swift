import Hummingbird
import Logging

/// Turns whatever a handler throws into the API's JSON error body, so no route answers with
/// Hummingbird's own error shape or leaks an internal error.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = APIContext

    func handle(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status.code >= 500, apiError.retryAfter == nil {  // a deliberate 503 is no fault
                context.logger.error("\(request.method) \(request.uri.path): \(String(describing: error))")
            }
            return try apiError.response(from: request, context: context)
        }
    }
}
