/// Why bytes are not valid JSON, and where.
public struct JSONScanError: Error, Sendable, Hashable, CustomStringConvertible {
    public let offset: Int
    public let reason: String

    public var description: String { "\(reason) at byte \(offset)" }
}

/// A validating, non-allocating (except for decoded strings and member lists) JSON scanner over
/// UTF-8 bytes. It skips values to find their extent, so members can be sliced out unchanged.
/// Tokens are read by the shared ``JSONLexer``; this type adds the grammar and RawJSON's wording.
struct JSONScanner {
    private var lexer: JSONLexer

    init(_ input: UnsafeBufferPointer<UInt8>) {
        lexer = JSONLexer(input)
    }

    /// Runs `body` with a scanner over `bytes`.
    static func scanning<Result>(
        _ bytes: [UInt8], _ body: (inout JSONScanner) throws(JSONScanError) -> Result
    ) throws(JSONScanError) -> Result {
        let outcome: Swift.Result<Result, JSONScanError> = bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            do throws(JSONScanError) {
                return .success(try body(&scanner))
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    var index: Int { lexer.position }
    var isAtEnd: Bool { lexer.isAtEnd }
    /// The byte at `index`, nil at the end.
    var current: UInt8? { lexer.current }
    private var input: UnsafeBufferPointer<UInt8> { lexer.input }

    func error(_ reason: String) -> JSONScanError {
        JSONScanError(offset: lexer.position, reason: reason)
    }

    /// RawJSON's wording for a lexical failure.
    private func error(_ failure: JSONLexer.Failure) -> JSONScanError {
        let reason =
            switch failure.kind {
            case .truncatedLiteral: "unexpected end of input"
            case .invalidLiteral: "invalid literal"
            case .missingDigits: failure.offset == input.count ? "unexpected end of number" : "invalid number"
            case .leadingZero: "invalid number"
            case .missingFractionDigits: "invalid fraction"
            case .missingExponentDigits: "invalid exponent"
            case .unterminatedString, .unterminatedEscape, .unterminatedUnicodeEscape: "unterminated string"
            case .controlCharacter: "control character in string"
            case .invalidEscape: "invalid escape"
            case .invalidUnicodeEscape, .loneHighSurrogate, .invalidLowSurrogate, .loneLowSurrogate:
                "invalid \\u escape"
            case .invalidUTF8: "invalid UTF-8"
            case .unexpectedCharacter: "unexpected character"
            case .unexpectedEnd: "unexpected end of input"
            }
        return JSONScanError(offset: failure.offset, reason: reason)
    }

    mutating func skipWhitespace() {
        lexer.skipWhitespace()
    }

    /// Skips one value, validating it.
    mutating func skipValue(depth: Int = 0) throws(JSONScanError) {
        guard depth < JSONLexer.maximumDepth else { throw error("nesting deeper than \(JSONLexer.maximumDepth)") }
        lexer.skipWhitespace()
        guard let byte = lexer.current else { throw error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"): try skipObject(depth: depth)
        case UInt8(ascii: "["): try skipArray(depth: depth)
        case UInt8(ascii: "\""): try skipString()
        default:
            do throws(JSONLexer.Failure) {
                try lexer.skipLiteralOrNumber()
            } catch {
                throw self.error(error)
            }
        }
    }

    private mutating func skipObject(depth: Int) throws(JSONScanError) {
        lexer.position += 1
        lexer.skipWhitespace()
        if lexer.current == UInt8(ascii: "}") {
            lexer.position += 1
            return
        }
        while true {
            lexer.skipWhitespace()
            try skipMemberName()
            try skipValue(depth: depth + 1)
            if try atEndOfMembers() { return }
        }
    }

    private mutating func skipArray(depth: Int) throws(JSONScanError) {
        lexer.position += 1
        lexer.skipWhitespace()
        if lexer.current == UInt8(ascii: "]") {
            lexer.position += 1
            return
        }
        while true {
            try skipValue(depth: depth + 1)
            if try atEndOfElements() { return }
        }
    }

    /// Skips `"name"` and `:`, leaving the scanner before the member's value.
    private mutating func skipMemberName() throws(JSONScanError) {
        guard lexer.current == UInt8(ascii: "\"") else { throw error("expected a member name") }
        try skipString()
        try expectColon()
    }

    private mutating func expectColon() throws(JSONScanError) {
        lexer.skipWhitespace()
        guard lexer.current == UInt8(ascii: ":") else { throw error("expected ':'") }
        lexer.position += 1
    }

    /// After a member: true at `}` (consumed), false at `,` (consumed).
    private mutating func atEndOfMembers() throws(JSONScanError) -> Bool {
        try atEnd(of: UInt8(ascii: "}"), unterminated: "unterminated object", expected: "expected ',' or '}'")
    }

    /// After an element: true at `]` (consumed), false at `,` (consumed).
    private mutating func atEndOfElements() throws(JSONScanError) -> Bool {
        try atEnd(of: UInt8(ascii: "]"), unterminated: "unterminated array", expected: "expected ',' or ']'")
    }

    private mutating func atEnd(of close: UInt8, unterminated: String, expected: String) throws(JSONScanError) -> Bool {
        lexer.skipWhitespace()
        guard let byte = lexer.current else { throw error(unterminated) }
        lexer.position += 1
        if byte == UInt8(ascii: ",") { return false }
        if byte == close { return true }
        lexer.position -= 1
        throw error(expected)
    }

    /// Skips a string, validating escapes and rejecting raw control characters. Invalid UTF-8 is
    /// passed through (it is replaced when decoded), as peers are not always strict.
    mutating func skipString() throws(JSONScanError) {
        do throws(JSONLexer.Failure) {
            try lexer.skipString()
        } catch {
            throw self.error(error)
        }
    }

    /// Decodes the string starting at `index` (which must be a quote). Invalid UTF-8 and lone
    /// surrogates become U+FFFD.
    mutating func decodeString() throws(JSONScanError) -> String {
        let start = lexer.position
        try skipString()
        let content = UnsafeBufferPointer(rebasing: input[(start + 1)..<(lexer.position - 1)])
        // Fast path: no escapes.
        if !content.contains(UInt8(ascii: "\\")) { return String(decoding: content, as: UTF8.self) }
        var decoder = JSONLexer(input)
        decoder.position = start
        do throws(JSONLexer.Failure) {
            return try decoder.scanString(strict: false).text(in: input)
        } catch {
            throw self.error(error)
        }
    }

    /// Members of the object at `index`, values as raw slices.
    mutating func objectMembers() throws(JSONScanError) -> [(key: String, value: RawJSON)] {
        lexer.skipWhitespace()
        guard lexer.current == UInt8(ascii: "{") else { throw error("expected an object") }
        lexer.position += 1
        var members: [(key: String, value: RawJSON)] = []
        lexer.skipWhitespace()
        if lexer.current == UInt8(ascii: "}") {
            lexer.position += 1
            return members
        }
        while true {
            lexer.skipWhitespace()
            guard lexer.current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try decodeString()
            try expectColon()
            lexer.skipWhitespace()
            let start = lexer.position
            try skipValue(depth: 1)
            members.append((key, RawJSON(trusted: Array(input[start..<lexer.position]))))
            if try atEndOfMembers() { return members }
        }
    }

    /// The value of the first member named `key` of the object at `index`, without collecting the
    /// rest: only the member found is copied (a lookup in a 40 MB result copies nothing else).
    mutating func member(named key: String) throws(JSONScanError) -> RawJSON? {
        lexer.skipWhitespace()
        guard lexer.current == UInt8(ascii: "{") else { throw error("expected an object") }
        lexer.position += 1
        lexer.skipWhitespace()
        if lexer.current == UInt8(ascii: "}") {
            lexer.position += 1
            return nil
        }
        while true {
            lexer.skipWhitespace()
            guard lexer.current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let name = try decodeString()
            try expectColon()
            lexer.skipWhitespace()
            let start = lexer.position
            try skipValue(depth: 1)
            if name == key { return RawJSON(trusted: Array(input[start..<lexer.position])) }
            if try atEndOfMembers() { return nil }
        }
    }

    /// The value of the top-level member `key` of an object whose bytes may be cut short: members
    /// are read in order, and nil comes back when the input ends (or turns invalid) before a
    /// member named `key` is complete. A number the input ends in may be cut, so it never counts.
    mutating func leadingMember(named key: String) -> RawJSON? {
        lexer.skipWhitespace()
        guard lexer.current == UInt8(ascii: "{") else { return nil }
        lexer.position += 1
        while true {
            lexer.skipWhitespace()
            guard lexer.current == UInt8(ascii: "\""), let name = try? decodeString() else { return nil }
            lexer.skipWhitespace()
            guard lexer.current == UInt8(ascii: ":") else { return nil }
            lexer.position += 1
            lexer.skipWhitespace()
            let start = lexer.position
            guard (try? skipValue(depth: 1)) != nil, !lexer.isAtEnd else { return nil }
            if name == key { return RawJSON(trusted: Array(input[start..<lexer.position])) }
            lexer.skipWhitespace()
            guard lexer.current == UInt8(ascii: ",") else { return nil }
            lexer.position += 1
        }
    }

    /// Elements of the array at `index`, as raw slices.
    mutating func arrayElements() throws(JSONScanError) -> [RawJSON] {
        lexer.skipWhitespace()
        guard lexer.current == UInt8(ascii: "[") else { throw error("expected an array") }
        lexer.position += 1
        var elements: [RawJSON] = []
        lexer.skipWhitespace()
        if lexer.current == UInt8(ascii: "]") {
            lexer.position += 1
            return elements
        }
        while true {
            lexer.skipWhitespace()
            let start = lexer.position
            try skipValue(depth: 1)
            elements.append(RawJSON(trusted: Array(input[start..<lexer.position])))
            if try atEndOfElements() { return elements }
        }
    }
}
