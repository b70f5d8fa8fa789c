import Foundation
import JunctionCore
import Testing

@Suite("RawJSON")
struct RawJSONTests {
    private func raw(_ text: String) throws -> RawJSON {
        try RawJSON(validating: Array(text.utf8))
    }

    // MARK: - Validation

    @Test(
        "invalid JSON is refused with the reason and the byte offset",
        arguments: [
            ("", 0, "unexpected end of input"),
            ("   ", 3, "unexpected end of input"),
            ("{", 1, "expected a member name"),
            (#"{"a" 1}"#, 5, "expected ':'"),
            (#"{"a":1,}"#, 7, "expected a member name"),
            (#"{"a":1 "b":2}"#, 7, "expected ',' or '}'"),
            (#"{"a":1"#, 6, "unterminated object"),
            ("[1 2]", 3, "expected ',' or ']'"),
            ("[1,]", 3, "unexpected character"),
            ("[1", 2, "unterminated array"),
            ("01", 1, "unexpected data after the JSON value"),
            ("{} x", 3, "unexpected data after the JSON value"),
            ("1.", 2, "invalid fraction"),
            ("1e+", 3, "invalid exponent"),
            ("-", 1, "unexpected end of number"),
            ("-a", 1, "invalid number"),
            ("tru", 0, "unexpected end of input"),
            ("nul1", 0, "invalid literal"),
            (#""abc"#, 4, "unterminated string"),
            (#""a\qb""#, 3, "invalid escape"),
            (#""\u12""#, 2, "invalid \\u escape"),
            (#""\u12G4""#, 2, "invalid \\u escape"),
            ("\"a\u{01}b\"", 2, "control character in string"),
            ("'a'", 0, "unexpected character"),
        ])
    func invalidJSON(text: String, offset: Int, reason: String) {
        let error = #expect(throws: JSONScanError.self) { try RawJSON(validating: Array(text.utf8)) }
        #expect(error?.offset == offset)
        #expect(error?.reason == reason)
        #expect(error?.description == "\(reason) at byte \(offset)")
    }

    @Test("nesting deeper than the limit is refused where it starts, not by the stack")
    func deepNesting() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        let error = #expect(throws: JSONScanError.self) { try RawJSON(validating: Array(deep.utf8)) }
        #expect(error?.offset == 512)
        #expect(error?.reason.contains("nesting deeper than 512") == true)

        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try RawJSON(validating: Array(fine.utf8)) }
    }

    @Test("validation keeps the value's bytes and drops only the surrounding whitespace")
    func validationTrimsWhitespace() throws {
        let value = try raw(" \t\r\n{ \"a\" : [1 , 2.50e+3] }\n ")
        #expect(value.description == #"{ "a" : [1 , 2.50e+3] }"#)
        #expect(value.isObject)
        #expect(try raw("[]").isArray)
        #expect(try raw(#""s""#).isString)
        #expect(try raw("null").isNull)
        #expect(try raw("true").boolValue == true)
        #expect(try raw("false").boolValue == false)
        #expect(try raw("0").boolValue == nil)
    }

    // MARK: - Reading

    @Test("members come in order with raw values, and escaped keys decoded")
    func membersInOrder() throws {
        let value = try raw(#"{ "z" : 1.50 , "a\"b":[ 1,2 ], "\u00e9":{"x" : null},"z":2}"#)
        let members = try #require(value.members)
        #expect(members.map(\.key) == ["z", "a\"b", "é", "z"])
        #expect(members.map(\.value.description) == ["1.50", "[ 1,2 ]", #"{"x" : null}"#, "2"])
        // The subscript finds the first member of a name.
        #expect(value["z"]?.description == "1.50")
        #expect(value["é"]?["x"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(try raw("{}").members?.isEmpty == true)
        #expect(try raw("[1]").members == nil)
        #expect(try raw("[1]")["a"] == nil)
    }

    @Test("elements come in order with raw values")
    func elementsInOrder() throws {
        let value = try raw(#"[ 1 , "two" ,{"three" : 3}, [ ], 123456789012345678901234567890 ]"#)
        let elements = try #require(value.elements)
        #expect(
            elements.map(\.description) == [
                "1", #""two""#, #"{"three" : 3}"#, "[ ]", "123456789012345678901234567890",
            ])
        #expect(try raw("[]").elements?.isEmpty == true)
        #expect(try raw("{}").elements == nil)
    }

    @Test(
        "string values decode every escape, surrogate pairs included",
        arguments: [
            (#""plain""#, "plain"),
            (#""""#, ""),
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{08}\u{0C}\n\r\t"),
            (#""\u0041\u00e9\u4e2d""#, "Aé中"),
            (#""\ud83d\ude00""#, "😀"),
            (#""a\ud83d\ude00b\uD83D\uDE01c""#, "a😀b😁c"),
            ("\"caf\u{e9} \u{1F600} raw\"", "café 😀 raw"),
            ("\"mixed \u{e9} and \\u00e9\"", "mixed é and é"),
            (#""\u0000""#, "\u{0}"),
            // A lone surrogate cannot be a String: it becomes U+FFFD instead of failing.
            (#""x\ud83dy""#, "x\u{FFFD}y"),
        ])
    func stringValues(literal: String, expected: String) throws {
        #expect(try raw(literal).stringValue == expected)
    }

    @Test("non-strings have no string value")
    func nonStrings() throws {
        #expect(try raw("1").stringValue == nil)
        #expect(try raw("null").stringValue == nil)
        #expect(try raw(#"["a"]"#).stringValue == nil)
    }

    @Test(
        "integer values exist only for integer literals that fit in Int",
        arguments: [
            ("0", 0),
            ("42", 42),
            ("-7", -7),
            ("9223372036854775807", Int.max),
            ("-9223372036854775808", Int.min),
            ("9223372036854775808", nil),
            ("123456789012345678901234567890", nil),
            ("1.5", nil),
            ("1.0", nil),
            ("1e3", nil),
            (#""42""#, nil),
            ("true", nil),
            ("null", nil),
        ] as [(String, Int?)])
    func intValues(literal: String, expected: Int?) throws {
        #expect(try raw(literal).intValue == expected)
    }

    // MARK: - Rewriting

    private static let odd =
        #"{ "first" : [ 1 ,2 ] ,"big":123456789012345678901234567890,  "money" : 1.50 , "#
        + #""text":"caf\u00e9 \ud83d\ude00","nested": {"keep" :  true} }"#

    @Test("setting a member replaces it in place and copies every other value byte for byte")
    func settingReplacesInPlace() throws {
        let value = try raw(Self.odd)
        let changed = try #require(value.setting("money", to: try raw(#"{"amount": 2.50}"#)))
        #expect(
            changed.description
                == #"{"first":[ 1 ,2 ],"big":123456789012345678901234567890,"money":{"amount": 2.50},"#
                + #""text":"caf\u00e9 \ud83d\ude00","nested":{"keep" :  true}}"#)
        let before = try #require(value.members)
        let after = try #require(changed.members)
        #expect(after.map(\.key) == before.map(\.key))
        for (old, new) in zip(before, after) where old.key != "money" {
            #expect(old.value.bytes == new.value.bytes, "member \(old.key) changed")
        }
        #expect(try RawJSON(validating: changed.bytes) == changed)
    }

    @Test("setting a missing member appends it")
    func settingAppends() throws {
        let value = try raw(Self.odd)
        let changed = try #require(value.setting("added", to: RawJSON(string: "new")))
        let members = try #require(changed.members)
        #expect(members.last?.key == "added")
        #expect(members.last?.value.stringValue == "new")
        #expect(members.dropLast().map(\.value.bytes) == value.members?.map(\.value.bytes))
        #expect(RawJSON.emptyObject.setting("a", to: .null)?.description == #"{"a":null}"#)
    }

    @Test("removing a member copies every other value byte for byte")
    func removingKeepsOthers() throws {
        let value = try raw(Self.odd)
        let changed = try #require(value.removing("first"))
        #expect(
            changed.description
                == #"{"big":123456789012345678901234567890,"money":1.50,"#
                + #""text":"caf\u00e9 \ud83d\ude00","nested":{"keep" :  true}}"#)
        #expect(value.removing("absent")?.members?.map(\.value.bytes) == value.members?.map(\.value.bytes))
        // Every member of that name goes.
        #expect(try raw(#"{"a":1,"b":2,"a":3}"#).removing("a")?.description == #"{"b":2}"#)
    }

    @Test("only objects can be rewritten")
    func rewritingNonObjects() throws {
        #expect(try raw("[1]").setting("a", to: .null) == nil)
        #expect(try raw(#""s""#).removing("a") == nil)
        #expect(RawJSON.null.setting("a", to: .null) == nil)
    }

    // MARK: - Writing

    @Test("string literals escape quotes, backslashes and every control character, and round-trip")
    func stringLiteralsRoundTrip() throws {
        let controls = String(String.UnicodeScalarView((0..<0x20).compactMap(Unicode.Scalar.init)))
        let samples = [
            "", "plain", "say \"hi\"", #"back\slash"#, "tab\tnew\nline\rcr", controls, "\u{7F}del",
            "é中😀", "line\u{2028}sep\u{2029}", "/slash/", "\u{0}nul", "emoji 👩‍👩‍👧 family",
        ]
        for sample in samples {
            let literal = RawJSON(string: sample)
            // No raw control character survives.
            #expect(!literal.bytes.contains { $0 < 0x20 }, "\(literal)")
            let decoded = try JSONSerialization.jsonObject(with: Data(literal.bytes), options: .fragmentsAllowed)
            #expect(decoded as? String == sample)
            #expect(try RawJSON(validating: literal.bytes).stringValue == sample)
        }
        #expect(RawJSON(string: "a\"b\\c\n\u{1}").description == #""a\"b\\c\n\u0001""#)
    }

    @Test("objects and arrays built from parts are valid JSON with the parts verbatim")
    func builtValues() throws {
        let object = RawJSON(object: [
            ("n", RawJSON(integer: -12)), ("s", RawJSON(string: "x\"y")), ("raw", try raw("[1 , 1.50]")),
            ("a", RawJSON(array: [.true, .false, .null, .emptyObject, .emptyArray])),
        ])
        #expect(object.description == #"{"n":-12,"s":"x\"y","raw":[1 , 1.50],"a":[true,false,null,{},[]]}"#)
        #expect(try RawJSON(validating: object.bytes) == object)
        #expect(RawJSON(object: []).description == "{}")
        #expect(RawJSON(array: []).description == "[]")
        let parsed = try #require(
            try JSONSerialization.jsonObject(with: Data(object.bytes)) as? [String: Any])
        #expect(parsed["n"] as? Int == -12)
        #expect(parsed["s"] as? String == "x\"y")
    }
}
