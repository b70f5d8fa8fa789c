import HTTPTypes
import Hummingbird

/// The admin API's request rate per key (setting `api_rate_limit_per_minute`): every request that
/// presented a key, the admin API and REST tool calls alike, counts against that key's minute,
/// which begins with its first request. Answers carry `X-RateLimit-Limit`,
/// `X-RateLimit-Remaining` and `X-RateLimit-Reset` (when the minute ends, in seconds since
/// 1970); past the limit a request is refused with 429, `Retry-After` and code `rate_limited`.
///
/// MCP over HTTP (`/mcp`, `/rpc`) is bounded by requests in flight instead
/// (`mcp_max_calls_per_key`), and unix-socket peers (the CLI) are not limited. The counts live
/// in ``MCPSessionRegistry`` with the other per-key limits, which follows the settings.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = APIContext

    let registry: MCPSessionRegistry

    func handle(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        guard !context.trusted, let identity = context.identity, !isMCPPath(request.uri.path),
            let decision = registry.admitRequest(identity.keyId)
        else { return try await next(request, context) }
        guard decision.allowed else {
            var error = APIError(
                .tooManyRequests, code: "rate_limited",
                "this key made \(decision.limit) requests this minute (setting api_rate_limit_per_minute): "
                    + "retry in \(decision.retryAfter) s")
            error.retryAfter = decision.retryAfter
            var response = try error.response(from: request, context: context)
            Self.stamp(&response.headers, decision)
            return response
        }
        var response = try await next(request, context)
        Self.stamp(&response.headers, decision)
        return response
    }

    static func stamp(_ headers: inout HTTPFields, _ decision: MCPSessionRegistry.RateDecision) {
        headers[.xRateLimitLimit] = String(decision.limit)
        headers[.xRateLimitRemaining] = String(decision.remaining)
        headers[.xRateLimitReset] = String(decision.reset)
    }
}
