import Foundation
import HTTPTypes
import Hummingbird
import JunctionCore

/// Errors on the seed surfaces in their own envelopes, with the status Junction's API would give:
/// - Open MCP Gateway: `{"error": "Not Found", "message": "...", "code": "not_found"}`;
/// - MCP Proxy Engine: `{"error": {"type": "ProxyError", "code": "SERVER_NOT_FOUND",
///   "message": "...", "details": {...}, "timestamp": "..."}}`.
/// Refusals of the access checks (no key, wrong Host) come before and keep the API's own shape.
struct SeedErrorMiddleware: RouterMiddleware {
    typealias Context = APIContext

    enum Style: Sendable {
        case openGateway
        case proxyEngine
    }

    let style: Style

    func handle(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = APIError.from(error)
            if apiError.status.code >= 500, apiError.retryAfter == nil {
                context.logger.error("\(request.method) \(request.uri.path): \(String(describing: error))")
            }
            var response =
                switch style {
                case .openGateway: Self.openGatewayResponse(apiError)
                case .proxyEngine: Self.proxyEngineResponse(apiError)
                }
            if let retryAfter = apiError.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        }
    }

    struct OpenGatewayBody: Encodable {
        var error: String
        var message: String
        var code: String
        var field: String?
    }

    static func openGatewayResponse(_ error: APIError) -> Response {
        APIError.response(
            status: error.status,
            body: OpenGatewayBody(
                error: error.status.reasonPhrase, message: error.message, code: error.code, field: error.field))
    }

    struct ProxyEngineBody: Encodable {
        struct Inner: Encodable {
            var type = "ProxyError"
            var code: String
            var message: String
            var details: JSONValue
            var timestamp: Date
        }
        var error: Inner
    }

    static func proxyEngineResponse(_ error: APIError) -> Response {
        var details: [String: JSONValue] = ["junction_code": .string(error.code)]
        if let field = error.field { details["field"] = .string(field) }
        if case .object(let extra)? = error.details { details.merge(extra) { first, _ in first } }
        return APIError.response(
            status: error.status,
            body: ProxyEngineBody(
                error: .init(
                    code: proxyCode(error), message: error.message, details: .object(details), timestamp: Date())))
    }

    /// The seed's error code: the one a controller chose (upper case), else one that fits the status.
    static func proxyCode(_ error: APIError) -> String {
        if !error.code.isEmpty, error.code == error.code.uppercased() { return error.code }
        switch error.status.code {
        case 400, 413, 415: return "INVALID_PARAMETERS"
        case 404: return "NOT_FOUND"
        case 405: return "METHOD_NOT_ALLOWED"
        case 408, 504: return "TIMEOUT_ERROR"
        case 409: return "CONFLICT"
        case 503: return "SERVER_UNAVAILABLE"
        default: return error.status.code < 500 ? "INVALID_REQUEST" : "INTERNAL_ERROR"
        }
    }
}
