import Foundation
import GRDB

/// JSON text columns (`tags`, `args`, `env`, …): encoded with sorted keys so equal values store
/// equal text, decoded strictly so a corrupt row is reported instead of silently emptied.
enum JSONColumn {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, from text: String?, column: String) throws -> T {
        guard let text else { throw StoreError.database("column \(column) is NULL where JSON was expected") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw StoreError.database("column \(column) holds JSON of the wrong shape: \(text.prefix(80))")
        }
    }
}

extension Row {
    /// Decodes a JSON text column.
    func json<T: Decodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try JSONColumn.decode(T.self, from: self[column] as String?, column: column)
    }

    /// Decodes a text column holding one of a closed set of values.
    func enumValue<T: RawRepresentable>(_ column: String, as type: T.Type = T.self) throws -> T
    where T.RawValue == String {
        let raw: String = self[column] ?? ""
        guard let value = T(rawValue: raw) else {
            throw StoreError.database("column \(column) holds an unknown value '\(raw)'")
        }
        return value
    }
}
