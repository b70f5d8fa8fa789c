import Foundation
import Testing

@testable import JunctionCore

@Suite("StrictJSONValidator")
struct StrictJSONValidatorTests {
    static func violation(_ text: String) -> StrictJSONValidator.Violation? {
        do {
            try StrictJSONValidator.validate(Array(text.utf8))
            return nil
        } catch {
            return error
        }
    }

    static let valid = [
        #"{}"#, #"[]"#, #" {"a": 1, "b": [true, false, null, "x", -0.5e3]} "#, #""text""#, "0",
        #"{"a": {"a": {"a": 1}}}"#, #"[{"a": 1}, {"a": 2}]"#, #"{"e\u0301": 1, "f": 2}"#,
    ]

    @Test("strict documents pass", arguments: valid)
    func validDocuments(text: String) {
        #expect(Self.violation(text) == nil)
    }

    @Test("a byte order mark is refused at byte 0")
    func byteOrderMark() throws {
        let violation = try #require(Self.violation("\u{FEFF}{\"a\": 1}"))
        #expect(violation.offset == 0)
        #expect(violation.reason.contains("byte order mark"))
        #expect(violation.path == nil)
    }

    @Test("trailing commas are refused, naming the member that holds them")
    func trailingCommas() throws {
        let inObject = try #require(Self.violation(#"{"a": 1,}"#))
        #expect(inObject.reason == "trailing comma before '}'")
        #expect(inObject.path == nil)
        let nested = try #require(Self.violation(#"{"list": [1, 2, ], "b": 1}"#))
        #expect(nested.reason == "trailing comma before ']'")
        #expect(nested.path == "list")
        let deep = try #require(Self.violation(#"{"a": [{"b": {"c": 1,}}]}"#))
        #expect(deep.path == "a[0].b")
    }

    @Test("a repeated key is refused with its path, also when spelt with escapes")
    func duplicateKeys() throws {
        let top = try #require(Self.violation(#"{"name": "a", "name": "b"}"#))
        #expect(top.reason == "duplicate key 'name'")
        #expect(top.path == "name")
        #expect(top.offset == 14)
        let nested = try #require(Self.violation(#"{"env": {"A": "1", "\u0041": "2"}}"#))
        #expect(nested.path == "env.A")
        // Canonically equivalent keys are one key to the decoder's dictionary.
        let composed = try #require(Self.violation("{\"\u{E9}\": 1, \"e\u{301}\": 2}"))
        #expect(composed.reason.hasPrefix("duplicate key"))
        // The same key in sibling objects is fine.
        #expect(Self.violation(#"[{"a": 1}, {"a": 1}]"#) == nil)
    }

    static let invalid = [
        "", "{", #"{"a" 1}"#, #"{a: 1}"#, "[1 2]", "01", "1 2", #"{"a": tru}"#, "[1,]", "[,]", "{,}",
        "\"\u{01}\"", "\"\\x\"", #"{"a": 1}}"#, String(repeating: "[", count: 600) + String(repeating: "]", count: 600),
    ]

    @Test("malformed documents are refused", arguments: invalid)
    func invalidDocuments(text: String) {
        #expect(Self.violation(text) != nil)
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() throws {
        let bytes: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(throws: StrictJSONValidator.Violation.self) { try StrictJSONValidator.validate(bytes) }
    }
}
