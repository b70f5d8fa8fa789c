import Testing

@testable import JunctionCore

@Suite("JSONLexer")
struct JSONLexerTests {
    /// Runs `body` on a lexer over `text`, returning its result and where it stopped.
    private func lex<Result>(
        _ text: String, _ body: (inout JSONLexer) throws(JSONLexer.Failure) -> Result
    ) -> (result: Swift.Result<Result, JSONLexer.Failure>, position: Int) {
        Array(text.utf8).withUnsafeBufferPointer { buffer in
            var lexer = JSONLexer(buffer)
            do throws(JSONLexer.Failure) {
                let value = try body(&lexer)
                return (.success(value), lexer.position)
            } catch {
                return (.failure(error), lexer.position)
            }
        }
    }

    private func failureOffset<Result>(_ outcome: (result: Swift.Result<Result, JSONLexer.Failure>, position: Int))
        -> Int?
    {
        if case .failure(let failure) = outcome.result { return failure.offset }
        return nil
    }

    @Test(
        "literals and numbers end where the JSON grammar says",
        arguments: [
            ("true,", 4), ("null]", 4), ("0", 1), ("-12.5e+3 ", 8), ("0.0E0}", 5), ("01", 1),
        ])
    func literalsAndNumbers(text: String, end: Int) {
        let outcome = lex(text) { lexer throws(JSONLexer.Failure) in try lexer.skipLiteralOrNumber() }
        #expect(failureOffset(outcome) == nil)
        #expect(outcome.position == end)
    }

    @Test(
        "malformed literals and numbers fail at the right byte",
        arguments: [
            ("tru", 0), ("nul1", 0), ("-", 1), ("-x", 1), ("1.", 2), ("1.e5", 2), ("1e", 2), ("1e+", 3), ("@", 0),
        ])
    func malformedScalars(text: String, offset: Int) {
        let outcome = lex(text) { lexer throws(JSONLexer.Failure) in try lexer.skipLiteralOrNumber() }
        #expect(failureOffset(outcome) == offset)
    }

    @Test("a leading zero ends the number, or fails when rejected")
    func leadingZeros() {
        let lenient = lex("01") { lexer throws(JSONLexer.Failure) in try lexer.skipLiteralOrNumber() }
        #expect(lenient.position == 1)
        let strict = lex("01") { lexer throws(JSONLexer.Failure) in
            try lexer.skipLiteralOrNumber(rejectingLeadingZeros: true)
        }
        #expect(failureOffset(strict) == 1)
    }

    @Test(
        "lenient and strict strings agree on the extent of well-formed strings",
        arguments: [#""""#, #""plain" "#, #""a\"b\\c\/\n\u00e9""#, #""\ud83d\ude00"x"#, "\"caf\u{e9}\""])
    func stringExtent(text: String) {
        let skipped = lex(text) { lexer throws(JSONLexer.Failure) in try lexer.skipString() }
        let scanned = lex(text) { lexer throws(JSONLexer.Failure) in _ = try lexer.scanString(strict: true) }
        #expect(failureOffset(skipped) == nil)
        #expect(failureOffset(scanned) == nil)
        #expect(skipped.position == scanned.position)
    }

    @Test(
        "strings decode escapes; lone surrogates fail when strict and become U+FFFD when lenient",
        arguments: [
            (#""abc""#, "abc", "abc"),
            (#""a\tb\u0041\u00e9""#, "a\tbAé", "a\tbAé"),
            (#""\ud83d\ude00""#, "😀", "😀"),
            (#""x\ud83dy""#, nil, "x\u{FFFD}y"),
            (#""\udc00""#, nil, "\u{FFFD}"),
            (#""\ud83d\u0041""#, nil, "\u{FFFD}A"),
        ] as [(String, String?, String)])
    func decoding(text: String, strict: String?, lenient: String) {
        let input = Array(text.utf8)
        func decode(strict: Bool) -> String? {
            input.withUnsafeBufferPointer { buffer in
                var lexer = JSONLexer(buffer)
                return try? lexer.scanString(strict: strict).text(in: buffer)
            }
        }
        #expect(decode(strict: true) == strict)
        #expect(decode(strict: false) == lenient)
    }

    @Test("strict strings reject invalid UTF-8 at the start of the run; lenient skipping lets it pass")
    func invalidUTF8() {
        let input: [UInt8] = [0x22, 0x61, 0x5C, 0x6E, 0xFF, 0x22]  // "a\n<FF>"
        input.withUnsafeBufferPointer { buffer in
            var strict = JSONLexer(buffer)
            let failure = #expect(throws: JSONLexer.Failure.self) { try strict.scanString(strict: true) }
            #expect(failure?.offset == 4)
            var lenient = JSONLexer(buffer)
            #expect(throws: Never.self) { try lenient.skipString() }
            #expect(lenient.position == 6)
        }
    }

    @Test("JSONWriter escapes minimally, with \\b and \\f by letter only when asked")
    func writer() {
        let bytes = Array("a\"\\/\n\u{08}\u{0C}\u{01}é".utf8)
        #expect(
            String(decoding: JSONWriter.stringLiteral(utf8: bytes), as: UTF8.self) == #""a\"\\/\n\u0008\u000c\u0001é""#)
        var short: [UInt8] = []
        JSONWriter.appendString(utf8: bytes, to: &short, shortControlEscapes: true)
        #expect(String(decoding: short, as: UTF8.self) == #""a\"\\/\n\b\f\u0001é""#)
    }
}
