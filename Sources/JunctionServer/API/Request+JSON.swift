import Foundation
import HTTPTypes
import Hummingbird
import JunctionCore
import NIOCore

extension Request {
    /// Decodes a JSON body: 415 unless the body is declared JSON, 413 above the context's limit,
    /// 400 when it is not strict JSON (a byte order mark, a trailing comma, a repeated key: what
    /// Foundation's decoder would let through, reading the last of two keys), and 400 naming the
    /// field when it does not fit `type`.
    public func decodeJSON<T: Decodable>(_ type: T.Type, context: APIContext) async throws -> T {
        guard let value = try await decodeJSONIfPresent(type, context: context) else {
            throw APIError.badRequest("a JSON body is required")
        }
        return value
    }

    /// ``decodeJSON(_:context:)`` for a body that may be left out: nil when it is empty.
    public func decodeJSONIfPresent<T: Decodable>(_ type: T.Type, context: APIContext) async throws -> T? {
        if let contentType = headers[.contentType], !Self.isJSON(contentType) {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                "send the body as application/json (got \(contentType))")
        }
        let buffer = try await body.collect(upTo: context.maxUploadSize)
        guard buffer.readableBytes > 0 else { return nil }
        do throws(StrictJSONValidator.Violation) {
            try StrictJSONValidator.validate(buffer.readableBytesView)
        } catch {
            throw APIError.badRequest("the body is not valid JSON: \(error)", field: error.path)
        }
        do {
            return try context.requestDecoder.decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.from(error)
        }
    }

    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";").first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard let mediaType else { return false }
        return mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json"))
    }

    /// A query parameter as an integer in `range`; 400 naming it otherwise.
    public func queryInt(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = uri.queryParameters[name[...]] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest(
                "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return number
    }

    /// A boolean query parameter (`true`/`false`/`1`/`0`).
    public func queryBool(_ name: String) throws -> Bool {
        guard let text = uri.queryParameters[name[...]] else { return false }
        switch text.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no", "": return false
        default: throw APIError.badRequest("\(name) must be true or false", field: name)
        }
    }
}
