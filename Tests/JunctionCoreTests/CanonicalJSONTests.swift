import JunctionCore
import Testing

@Suite("CanonicalJSON")
struct CanonicalJSONTests {
    @Test(
        "canonical forms",
        arguments: [
            (#"{"b":1, "a":[1,2]}"#, #"{"a":[1,2],"b":1}"#),
            (#" { "a" : [ 1 , 2 ] , "b" : 1 } "#, #"{"a":[1,2],"b":1}"#),
            (#"{"z":{"y":null,"x":true},"a":false}"#, #"{"a":false,"z":{"x":true,"y":null}}"#),
            (#"[]"#, #"[]"#),
            (#"{}"#, #"{}"#),
            (#""plain""#, #""plain""#),
            (#"123456789012345678901234567890"#, #"123456789012345678901234567890"#),
            (#"[-0.5e+10, 1.0, 1E3, 0]"#, #"[-0.5e+10,1.0,1E3,0]"#),
            (#""\u0041\/\t\u00e9\ud83d\ude00""#, "\"A/\\t\u{e9}\u{1F600}\""),
            (#""\u0001\u001f\b\f\n\r\"\\""#, #""\u0001\u001f\b\f\n\r\"\\""#),
            ("\"caf\u{e9} 😀\"", "\"caf\u{e9} 😀\""),
            (#"{"é":1,"e":2,"f":3}"#, #"{"e":2,"f":3,"é":1}"#),
            // UTF-16 order puts U+1F600 (D83D DE00) before U+E000; scalar order would not.
            ("{\"\u{E000}\":1,\"\u{1F600}\":2}", "{\"\u{1F600}\":2,\"\u{E000}\":1}"),
            (#"{"a\u0062":1,"aa":2}"#, #"{"aa":2,"ab":1}"#),
        ])
    func canonical(input: String, expected: String) throws {
        #expect(try CanonicalJSON.canonicalize(input) == expected)
        #expect(try CanonicalJSON.canonicalize(Array(input.utf8)) == expected)
        // Idempotent.
        #expect(try CanonicalJSON.canonicalize(expected) == expected)
    }

    @Test(
        "invalid JSON reports the byte offset",
        arguments: [
            ("", 0, "unexpected end of input, expected a value"),
            ("{", 1, "expected a string key"),
            (#"{"a" 1}"#, 5, "expected ':' after object key"),
            (#"{"a":1,}"#, 7, "expected a string key"),
            ("[1 2]", 3, "expected ',' or ']' in array"),
            ("01", 1, "leading zeros are not allowed"),
            ("1.", 2, "expected a digit after '.'"),
            ("1e", 2, "expected a digit in the exponent"),
            ("-", 1, "expected a digit"),
            ("tru", 0, "invalid literal, expected 'true'"),
            (#""abc"#, 0, "unterminated string"),
            ("\"a\u{1}\"", 2, "unescaped control character in string"),
            (#""\x""#, 1, "invalid escape '\\x'"),
            (#""\ud800""#, 1, "lone high surrogate"),
            (#""\udc00""#, 1, "lone low surrogate"),
            (#"{"a":1,"a":2}"#, 7, "duplicate key 'a'"),
            ("1 2", 2, "unexpected data after the JSON value"),
            ("@", 0, "unexpected character '@', expected a value"),
        ] as [(String, Int, String)])
    func invalid(input: String, offset: Int, reason: String) {
        #expect(throws: CanonicalJSONError(offset: offset, reason: reason)) {
            try CanonicalJSON.canonicalize(input)
        }
    }

    @Test("invalid UTF-8 is rejected")
    func invalidUTF8() {
        #expect(throws: CanonicalJSONError(offset: 1, reason: "invalid UTF-8 in string")) {
            try CanonicalJSON.canonicalize([0x22, 0xFF, 0x22])
        }
    }

    @Test("nesting is bounded instead of overflowing the stack")
    func depth() throws {
        let ok = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(try CanonicalJSON.canonicalize(ok) == ok)
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: CanonicalJSONError.self) { try CanonicalJSON.canonicalize(deep) }
    }

    @Test("error description names offset and reason")
    func description() {
        #expect(CanonicalJSONError(offset: 3, reason: "x").description == "invalid JSON at byte 3: x")
    }
}
