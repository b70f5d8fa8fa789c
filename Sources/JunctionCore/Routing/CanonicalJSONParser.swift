/// Recursive-descent JSON reader that writes the canonical form as it goes (objects are built
/// member by member, then emitted sorted).
struct CanonicalJSONParser {
    let input: UnsafeBufferPointer<UInt8>
    var position = 0
    var output: [UInt8] = []
    private var depth = 0

    init(input: UnsafeBufferPointer<UInt8>) {
        self.input = input
        output.reserveCapacity(input.count)
    }

    mutating func document() throws(CanonicalJSONError) {
        skipWhitespace()
        try value()
        skipWhitespace()
        guard position == input.count else { throw fail("unexpected data after the JSON value") }
    }

    private func fail(_ reason: String, at offset: Int? = nil) -> CanonicalJSONError {
        CanonicalJSONError(offset: offset ?? position, reason: reason)
    }

    private var current: UInt8? {
        position < input.count ? input[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    private mutating func value() throws(CanonicalJSONError) {
        guard let byte = current else { throw fail("unexpected end of input, expected a value") }
        switch byte {
        case UInt8(ascii: "{"): try object()
        case UInt8(ascii: "["): try array()
        case UInt8(ascii: "\""):
            let decoded = try string()
            Self.writeString(decoded, to: &output)
        case UInt8(ascii: "t"): try keyword("true")
        case UInt8(ascii: "f"): try keyword("false")
        case UInt8(ascii: "n"): try keyword("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
        default: throw fail("unexpected character '\(Self.show(byte))', expected a value")
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
        position += 1
        skipWhitespace()
        var members: [(key: [UInt16], keyBytes: [UInt8], value: [UInt8], offset: Int)] = []
        if current == UInt8(ascii: "}") {
            position += 1
        } else {
            while true {
                skipWhitespace()
                let keyOffset = position
                guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                let key = try string()
                skipWhitespace()
                guard current == UInt8(ascii: ":") else { throw fail("expected ':' after object key") }
                position += 1
                skipWhitespace()
                // Emit the value into a scratch buffer so members can be sorted afterwards.
                let saved = output
                output = []
                try value()
                let valueBytes = output
                output = saved
                members.append((Array(key.utf16), Array(key.utf8), valueBytes, keyOffset))
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard current == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in object") }
                position += 1
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
            Self.writeString(String(decoding: member.keyBytes, as: UTF8.self), to: &output)
            output.append(UInt8(ascii: ":"))
            output.append(contentsOf: member.value)
        }
        output.append(UInt8(ascii: "}"))
        depth -= 1
    }

    private mutating func array() throws(CanonicalJSONError) {
        try enter()
        position += 1
        skipWhitespace()
        output.append(UInt8(ascii: "["))
        if current == UInt8(ascii: "]") {
            position += 1
        } else {
            var first = true
            while true {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                skipWhitespace()
                try value()
                skipWhitespace()
                if current == UInt8(ascii: ",") {
                    position += 1
                    continue
                }
                guard current == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in array") }
                position += 1
                break
            }
        }
        output.append(UInt8(ascii: "]"))
        depth -= 1
    }

    private mutating func keyword(_ word: StaticString) throws(CanonicalJSONError) {
        let start = position
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in bytes {
            guard current == byte else { throw fail("invalid literal, expected '\(word)'", at: start) }
            position += 1
        }
        output.append(contentsOf: bytes)
    }

    /// Validates the number grammar and copies the literal unchanged.
    private mutating func number() throws(CanonicalJSONError) {
        let start = position
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, Self.isDigit(first) else { throw fail("expected a digit") }
        position += 1
        if first == UInt8(ascii: "0"), let next = current, Self.isDigit(next) {
            throw fail("leading zeros are not allowed")
        }
        while let byte = current, Self.isDigit(byte) { position += 1 }
        if current == UInt8(ascii: ".") {
            position += 1
            guard let byte = current, Self.isDigit(byte) else { throw fail("expected a digit after '.'") }
            while let byte = current, Self.isDigit(byte) { position += 1 }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard let byte = current, Self.isDigit(byte) else { throw fail("expected a digit in the exponent") }
            while let byte = current, Self.isDigit(byte) { position += 1 }
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: input[start..<position]))
    }

    /// Reads a string literal (at its opening quote) and returns its decoded value.
    private mutating func string() throws(CanonicalJSONError) -> String {
        let start = position
        position += 1
        var scalars = String.UnicodeScalarView()
        var runStart = position
        func flushRun(_ parser: Self, upTo end: Int) throws(CanonicalJSONError) {
            guard runStart < end else { return }
            // Validate UTF-8 of the raw run.
            let run = UnsafeBufferPointer(rebasing: parser.input[runStart..<end])
            guard let text = String(validating: run, as: UTF8.self) else {
                throw parser.fail("invalid UTF-8 in string", at: runStart)
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard let byte = current else { throw fail("unterminated string", at: start) }
            switch byte {
            case UInt8(ascii: "\""):
                try flushRun(self, upTo: position)
                position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flushRun(self, upTo: position)
                scalars.append(try escape())
                runStart = position
            case 0..<0x20:
                throw fail("unescaped control character in string")
            default:
                position += 1
            }
        }
    }

    /// Decodes one escape sequence (at its backslash), including surrogate pairs.
    private mutating func escape() throws(CanonicalJSONError) -> Unicode.Scalar {
        let start = position
        position += 1
        guard let byte = current else { throw fail("unterminated escape", at: start) }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try hex4()
            if (0xD800...0xDBFF).contains(high) {
                guard current == UInt8(ascii: "\\"), position + 1 < input.count,
                    input[position + 1] == UInt8(ascii: "u")
                else { throw fail("lone high surrogate", at: start) }
                position += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw fail("invalid low surrogate", at: start) }
                let value = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                guard let scalar = Unicode.Scalar(value) else { throw fail("invalid surrogate pair", at: start) }
                return scalar
            }
            guard let scalar = Unicode.Scalar(UInt32(high)) else { throw fail("lone low surrogate", at: start) }
            return scalar
        default:
            throw fail("invalid escape '\\\(Self.show(byte))'", at: start)
        }
    }

    private mutating func hex4() throws(CanonicalJSONError) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw fail("unterminated \\u escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("invalid hex digit in \\u escape")
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    static func writeString(_ string: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func show(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}
