import Foundation
import JunctionCore

/// Printing for humans (tables, sentences) and for scripts (`--json`).
enum Output {
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        print(String(decoding: data, as: UTF8.self))
    }

    /// A plain text table: a header row and aligned columns separated by two spaces.
    static func table(_ header: [String], _ rows: [[String]]) {
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == cells.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        print(line(header))
        for row in rows { print(line(row)) }
    }

    /// `key=value, …` in key order, or `-` when empty.
    static func pairs(_ dictionary: [String: String]) -> String {
        dictionary.isEmpty
            ? "-" : dictionary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Quotes an argument for display when it has spaces or shell metacharacters.
    static func shellWord(_ word: String) -> String {
        let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./=:@%+,"))
        if !word.isEmpty, word.unicodeScalars.allSatisfy(safe.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// A time as ISO 8601 (UTC, whole seconds).
    static func timestamp(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }

    static func printError(_ message: String) {
        FileHandle.standardError.write(Data("junction: \(message)\n".utf8))
    }
}

/// Parses repeated `KEY=VALUE` options into a dictionary; a repeated key keeps the last value.
func parsePairs(_ pairs: [String], field: String) throws -> [String: String] {
    var result: [String: String] = [:]
    for pair in pairs {
        let (key, value) = try Validate.keyValue(pair, field: field)
        result[key] = value
    }
    return result
}
