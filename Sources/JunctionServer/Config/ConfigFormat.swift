import Foundation
import JunctionCore
import JunctionStore
import Yams

/// A configuration document's two spellings: YAML (what people edit) and JSON.
public enum ConfigFormat: String, Sendable, CaseIterable {
    case yaml
    case json

    /// The document as text in this format.
    public func render(_ document: ConfigDocument) throws -> String {
        switch self {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
        case .yaml:
            return try YAMLEncoder().encode(document)
        }
    }

    /// Reads a document in either format: JSON when it starts with `{`, else YAML (of which JSON
    /// is a subset anyway). Unknown keys, wrong types and an unknown version are refused.
    public static func parse(_ data: Data) throws(StoreError) -> ConfigDocument {
        let text = String(decoding: data, as: UTF8.self)
        if text.drop(while: \.isWhitespace).first == "{" {
            return try ConfigDocument.decode(json: data)
        }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            throw .invalid(ValidationError(field: "document", message: "the document is not valid YAML: \(error)"))
        }
        guard let loaded, JSONSerialization.isValidJSONObject(jsonCompatible(loaded)) else {
            throw .invalid(ValidationError(field: "document", message: "the document must be a mapping"))
        }
        let json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: jsonCompatible(loaded))
        } catch {
            throw .invalid(ValidationError(field: "document", message: "the document cannot be read: \(error)"))
        }
        return try ConfigDocument.decode(json: json)
    }

    /// YAML scalars JSON has no word for (timestamps, binary) become strings.
    private static func jsonCompatible(_ value: Any) -> Any {
        switch value {
        case let dictionary as [String: Any]:
            return dictionary.mapValues(jsonCompatible)
        case let dictionary as [AnyHashable: Any]:
            return Dictionary(
                dictionary.map { ("\($0.key)", jsonCompatible($0.value)) }, uniquingKeysWith: { first, _ in first })
        case let array as [Any]:
            return array.map(jsonCompatible)
        case is String, is Bool, is Int, is Double, is NSNull:
            return value
        default:
            return "\(value)"
        }
    }
}
