import HTTPTypes
import Testing

extension APIClient.Reply {
    /// Expects a JSON error body with `status` that names `field` (nil: names none).
    func expectRefused(
        _ status: HTTPResponse.Status, field: String?, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(self.status == status, "\(body)", sourceLocation: sourceLocation)
        let json = try json()
        #expect(json["error"] is String, sourceLocation: sourceLocation)
        #expect(json["field"] as? String == field, sourceLocation: sourceLocation)
    }
}
