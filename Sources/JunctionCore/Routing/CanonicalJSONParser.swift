/// Recursive-descent JSON reader that writes the canonical form as it goes (objects are built
/// member by member, then emitted sorted). Tokens are read by the shared ``JSONLexer`` in strict
/// mode; this type adds the grammar, the sorting and ``CanonicalJSONError``'s wording.
struct CanonicalJSONParser {
    private var lexer: JSONLexer
    var output: [UInt8] = []
    private var depth = 0

    init(input: UnsafeBufferPointer<UInt8>) {
        lexer = JSONLexer(input)
        output.reserveCapacity(input.count)
    }

    private var input: UnsafeBufferPointer<UInt8> { lexer.input }
    private var current: UInt8? { lexer.current }

    mutating func document() throws(CanonicalJSONError) {
        lexer.skipWhitespace()
        try value()
        lexer.skipWhitespace()
        guard lexer.isAtEnd else { throw fail("unexpected data after the JSON value") }
    }

    private func fail(_ reason: String, at offset: Int? = nil) -> CanonicalJSONError {
        CanonicalJSONError(offset: offset ?? lexer.position, reason: reason)
    }

    /// CanonicalJSON's wording for a lexical failure.
    private static func error(_ failure: JSONLexer.Failure) -> CanonicalJSONError {
        let reason = failure.kind.message
        return CanonicalJSONError(offset: failure.offset, reason: reason)
    }

    private mutating func value() throws(CanonicalJSONError) {
        switch current {
        case UInt8(ascii: "{"): try object()
        case UInt8(ascii: "["): try array()
        case UInt8(ascii: "\""):
            let content = try string()
            appendString(content)
        default:
            let start = lexer.position
            do throws(JSONLexer.Failure) {
                try lexer.skipLiteralOrNumber(rejectingLeadingZeros: true)
            } catch {
                throw Self.error(error)
            }
            // Literals and numbers are kept exactly as written.
            output.append(contentsOf: input[start..<lexer.position])
        }
    }

    private mutating func enter() throws(CanonicalJSONError) {
        depth += 1
        guard depth <= CanonicalJSON.maximumDepth else {
            throw fail("nesting deeper than \(CanonicalJSON.maximumDepth) levels")
        }
    }

    private mutating func object() throws(CanonicalJSONError) {
        try enter()
        lexer.position += 1
        lexer.skipWhitespace()
        var members: [(key: [UInt16], keyBytes: [UInt8], value: [UInt8], offset: Int)] = []
        if current == UInt8(ascii: "}") {
            lexer.position += 1
        } else {
            while true {
                lexer.skipWhitespace()
                let keyOffset = lexer.position
                guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let keyBytes = try string().bytes(in: input)
                lexer.skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw fail("expected ':' after object key") }
                lexer.position += 1
                lexer.skipWhitespace()
                // Emit the value into a scratch buffer so members can be sorted afterwards.
                let saved = output
                output = []
                try value()
                let valueBytes = output
                output = saved
                let key = Array(String(decoding: keyBytes, as: UTF8.self).utf16)
                members.append((key, keyBytes, valueBytes, keyOffset))
                lexer.skipWhitespace()
                if current == UInt8(ascii: ",") {
                    lexer.position += 1
                    continue
                }
                guard current == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in object") }
                lexer.position += 1
                break
            }
        }
        members.sort { $0.key.lexicographicallyPrecedes($1.key) }
        for index in members.indices.dropFirst() where members[index].key == members[index - 1].key {
            let key = String(decoding: members[index].keyBytes, as: UTF8.self)
            throw fail("duplicate key '\(key)'", at: max(members[index].offset, members[index - 1].offset))
        }
        output.append(UInt8(ascii: "{"))
        for (index, member) in members.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(utf8: member.keyBytes, to: &output, shortControlEscapes: true)
            output.append(UInt8(ascii: ":"))
            output.append(contentsOf: member.value)
        }
        output.append(UInt8(ascii: "}"))
        depth -= 1
    }

    private mutating func array() throws(CanonicalJSONError) {
        try enter()
        lexer.position += 1
        lexer.skipWhitespace()
        output.append(UInt8(ascii: "["))
        if current == UInt8(ascii: "]") {
            lexer.position += 1
        } else {
            var first = true
            while true {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                lexer.skipWhitespace()
                try value()
                lexer.skipWhitespace()
                if current == UInt8(ascii: ",") {
                    lexer.position += 1
                    continue
                }
                guard current == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in array") }
                lexer.position += 1
                break
            }
        }
        output.append(UInt8(ascii: "]"))
        depth -= 1
    }

    /// Reads a string literal (at its opening quote): escapes decoded, UTF-8 validated.
    private mutating func string() throws(CanonicalJSONError) -> JSONLexer.StringContent {
        do throws(JSONLexer.Failure) {
            return try lexer.scanString(strict: true)
        } catch {
            throw Self.error(error)
        }
    }

    /// Writes decoded string content re-escaped minimally.
    private mutating func appendString(_ content: JSONLexer.StringContent) {
        switch content {
        case .raw(let range): JSONWriter.appendString(utf8: input[range], to: &output, shortControlEscapes: true)
        case .decoded(let bytes): JSONWriter.appendString(utf8: bytes, to: &output, shortControlEscapes: true)
        }
    }
}
