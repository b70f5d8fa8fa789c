import Foundation
import HTTPTypes
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore
import NIOCore

/// Every refusal of the admin API: `{"error": "...", "code": "...", "field": "..."}` with the
/// status that fits. `field` names the request field at fault, when there is one.
public struct APIError: Error, HTTPResponseError, Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?
    /// Extra members of the error body (the current state on a 409, say).
    public var details: JSONValue?
    /// Seconds a client should wait before trying again (`Retry-After`), on a 503 or 429.
    public var retryAfter: Int?

    public init(
        _ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil, details: JSONValue? = nil
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = details
    }

    public static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, code: "invalid_request", message, field: field)
    }

    public static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message)
    }

    public static func conflict(_ message: String, field: String? = nil, details: JSONValue? = nil) -> APIError {
        APIError(.conflict, code: "conflict", message, field: field, details: details)
    }

    public static let unauthorized = APIError(
        .unauthorized, code: "unauthorized",
        "an API key is required: send X-API-Key, Authorization: Bearer or ?apikey= (junction serve prints it)")

    public static let wrongKey = APIError(.unauthorized, code: "unauthorized", "the API key is not valid")

    struct Body: Encodable {
        var error: String
        var code: String
        var field: String?
        var details: JSONValue?
    }

    public func response(from request: Request, context: some Hummingbird.RequestContext) throws -> Response {
        var response = Self.response(
            status: status, body: Body(error: message, code: code, field: field, details: details))
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    /// Too much of one kind of work at once: try again in `retryAfter` seconds.
    public static func busy(_ message: String, retryAfter: Int = 1) -> APIError {
        var error = APIError(.serviceUnavailable, code: "busy", message)
        error.retryAfter = retryAfter
        return error
    }

    static func response(status: HTTPResponse.Status, body: some Encodable) -> Response {
        let data = (try? APICoding.encoder.encode(body)) ?? Data(#"{"error":"internal error","code":"internal"}"#.utf8)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension APIError {
    /// The API's view of any error a handler can throw: validation and store errors keep their
    /// field and wording; Hummingbird's own HTTP errors keep their status; anything else is a 500
    /// that does not leak internals.
    public static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as ValidationError:
            return .badRequest(error.message, field: error.field)
        case let error as StoreError:
            return from(error)
        case let error as DecodingError:
            return from(error)
        case let error as OAuthError:
            return from(error)
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, code: "too_large", "the request body is too large")
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge:
                return APIError(.contentTooLarge, code: "too_large", "the request body is too large")
            case .notFound:
                return .notFound(error.body ?? "no such endpoint")
            case .methodNotAllowed:
                return APIError(.methodNotAllowed, code: "method_not_allowed", error.body ?? "method not allowed")
            default:
                let code = error.status.code < 500 ? "invalid_request" : "internal"
                return APIError(error.status, code: code, error.body ?? error.status.reasonPhrase)
            }
        default:
            return APIError(.internalServerError, code: "internal", "internal error: \(type(of: error))")
        }
    }

    /// Sign-in failures: the user's input is a 400; what the authorization server did is a 502.
    static func from(_ error: OAuthError) -> APIError {
        switch error {
        case .invalid, .unknownState:
            return .badRequest(error.description)
        case .noClient:
            return APIError(.conflict, code: "oauth_no_client", error.description, field: "provider")
        case .denied, .refused:
            return APIError(.badGateway, code: "oauth_refused", error.description)
        case .timedOut:
            return APIError(.gatewayTimeout, code: "oauth_timeout", error.description)
        case .unreachable, .badResponse, .noMetadata:
            return APIError(.badGateway, code: "oauth_upstream", error.description)
        }
    }

    static func from(_ error: StoreError) -> APIError {
        switch error {
        case .notFound(let kind, let key):
            return .notFound("\(kind) '\(key)' not found")
        case .duplicate(_, let field, _):
            return .conflict(error.description, field: field)
        case .invalid(let validation):
            return .badRequest(validation.message, field: validation.field)
        case .inUse(let kind, let name, let dependents):
            return .conflict(
                "\(kind) '\(name)' is used by \(dependents.joined(separator: ", ")); remove those first or pass ?force=true"
            )
        case .secretKey, .secretMismatch:
            return APIError(.internalServerError, code: "secret_key", error.description)
        case .database(let message) where message.contains("busy"):
            return .busy(message)
        default:
            return APIError(.internalServerError, code: "database", error.description)
        }
    }

    static func from(_ error: DecodingError) -> APIError {
        func path(_ context: DecodingError.Context, appending key: (any CodingKey)? = nil) -> String? {
            let keys = context.codingPath + (key.map { [$0] } ?? [])
            let names = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            guard !names.isEmpty else { return nil }
            return names.reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context, appending: key) ?? key.stringValue
            return .badRequest("\(field) is required", field: field)
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = path(context)
            return .badRequest("\(field ?? "the body") must be \(describe(type))", field: field)
        case .dataCorrupted(let context):
            if let field = path(context) {
                return .badRequest("\(field): \(context.debugDescription)", field: field)
            }
            return .badRequest("the body is not valid JSON")
        @unknown default:
            return .badRequest("the body could not be read")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        default: "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
