import Foundation
import JunctionCore

/// The admin API refused a request made through ``LocalAPIClient``: the HTTP status and the
/// members of the API's error body (`{"error", "code", "field", "details"}`). Its description is
/// the API's own message, which already says what was wrong.
public struct LocalAPIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var code: String?
    public var message: String
    public var field: String?
    /// Extra members of the error body (the current approval on a 409, say).
    public var details: JSONValue?

    public init(status: Int, code: String? = nil, message: String, field: String? = nil, details: JSONValue? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = details
    }

    public var description: String { message }

    private struct Body: Decodable {
        var error: String
        var code: String?
        var field: String?
        var details: JSONValue?
    }

    /// The error a non-2xx response stands for; a body that is not the API's error shape is
    /// quoted (shortened) after the status.
    init(status: Int, reason: String, body: [UInt8]) {
        if let decoded = try? JSONDecoder().decode(Body.self, from: Data(body)) {
            self.init(
                status: status, code: decoded.code, message: decoded.error, field: decoded.field,
                details: decoded.details)
            return
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let summary = "the Junction daemon answered \(status)\(reason.isEmpty ? "" : " \(reason)")"
        self.init(status: status, message: text.isEmpty ? summary : "\(summary): \(text)")
    }
}
