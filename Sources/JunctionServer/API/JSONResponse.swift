import Hummingbird

/// Any `Encodable` value as a JSON response body: the models live in JunctionCore, which knows
/// nothing of HTTP, so they are wrapped rather than made `ResponseEncodable` retroactively.
struct JSONResponse<Value: Encodable & Sendable>: ResponseEncodable, Sendable {
    var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
    }

    /// The value with `201 Created`.
    static func created(_ value: Value) -> EditedResponse<JSONResponse<Value>> {
        EditedResponse(status: .created, response: JSONResponse(value))
    }
}
