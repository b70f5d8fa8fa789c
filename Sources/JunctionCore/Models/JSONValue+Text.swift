import Foundation

extension JSONValue {
    /// Decodes JSON text; nil for nil or text that is not JSON. For showing stored JSON text as
    /// JSON in API responses (numbers beyond Int64/Double precision are not preserved).
    public static func parse(_ text: String?) -> JSONValue? {
        guard let text else { return nil }
        return try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }
}
