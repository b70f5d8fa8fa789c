/// The lexical layer every JSON reader in Junction shares: whitespace, literals, numbers and
/// strings over UTF-8 bytes, plus the nesting limit. The readers on top (``JSONScanner`` for
/// RawJSON, ``CanonicalJSONParser``, ``RedactingJSONScanner``) own the grammar of objects and
/// arrays and turn a ``Failure`` into their own error, with their own wording.
///
/// Strings come in two strengths. ``skipString()`` is the lenient, allocation-free check the
/// message path runs on every byte (escapes well-formed, no raw control characters; invalid UTF-8
/// and lone surrogates pass, as peers are not always strict). ``scanString(strict:)`` decodes, and
/// in strict mode also demands valid UTF-8 and paired surrogates, as canonical cache keys and
/// redaction do.
struct JSONLexer {
    /// What is lexically wrong, and where (a byte offset into the input).
    struct Failure: Error {
        enum Kind {
            /// The input ended where a value was expected.
            case unexpectedEnd
            /// No value starts with this byte.
            case unexpectedCharacter(UInt8)
            /// The input ended inside a literal (`tru`).
            case truncatedLiteral(StaticString)
            /// A literal is misspelt (`nul1`).
            case invalidLiteral(StaticString)
            /// No digit where the integer part starts (`-`, `-a`).
            case missingDigits
            /// A digit follows a leading `0` (only when asked to reject it).
            case leadingZero
            /// No digit after `.`.
            case missingFractionDigits
            /// No digit in the exponent.
            case missingExponentDigits
            case unterminatedString
            case controlCharacter
            /// A backslash ends the input (strict strings).
            case unterminatedEscape
            case invalidEscape(UInt8)
            /// `\u` without four hex digits (lenient strings report it at the `u`).
            case invalidUnicodeEscape
            /// The input ends inside `\uXXXX` (strict strings).
            case unterminatedUnicodeEscape
            case loneHighSurrogate
            case invalidLowSurrogate
            case loneLowSurrogate
            case invalidUTF8
        }

        var kind: Kind
        var offset: Int
    }

    /// A string's content: a range of the input when it has no escapes, else its decoded bytes.
    enum StringContent {
        case raw(Range<Int>)
        case decoded([UInt8])

        func bytes(in input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
            switch self {
            case .raw(let range): Array(input[range])
            case .decoded(let bytes): bytes
            }
        }

        func text(in input: UnsafeBufferPointer<UInt8>) -> String {
            switch self {
            case .raw(let range): String(decoding: UnsafeBufferPointer(rebasing: input[range]), as: UTF8.self)
            case .decoded(let bytes): String(decoding: bytes, as: UTF8.self)
            }
        }
    }

    /// Deeper nesting of arrays and objects is refused rather than risking the stack on hostile
    /// input.
    static let maximumDepth = 512

    let input: UnsafeBufferPointer<UInt8>
    var position = 0

    init(_ input: UnsafeBufferPointer<UInt8>) {
        self.input = input
    }

    var isAtEnd: Bool { position >= input.count }

    var current: UInt8? {
        position < input.count ? input[position] : nil
    }

    func failure(_ kind: Failure.Kind, at offset: Int? = nil) -> Failure {
        Failure(kind: kind, offset: offset ?? position)
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// The byte a one-letter escape (`\n`, `\"`, …) stands for.
    static func unescaped(_ letter: UInt8) -> UInt8? {
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): letter
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt16? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt16(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt16(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt16(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    mutating func skipWhitespace() {
        while position < input.count {
            switch input[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    /// Skips `word` (`true`, `false`, `null`); failures are reported at its first byte.
    private mutating func skipLiteral(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard position + count <= input.count else { throw failure(.truncatedLiteral(word)) }
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: count)
        for offset in 0..<count where input[position + offset] != bytes[offset] {
            throw failure(.invalidLiteral(word))
        }
        position += count
    }

    /// Skips the literal or number at `position`, validating it.
    mutating func skipLiteralOrNumber(rejectingLeadingZeros: Bool = false) throws(Failure) {
        guard let byte = current else { throw failure(.unexpectedEnd) }
        switch byte {
        case UInt8(ascii: "t"): try skipLiteral("true")
        case UInt8(ascii: "f"): try skipLiteral("false")
        case UInt8(ascii: "n"): try skipLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try skipNumber(rejectingLeadingZeros: rejectingLeadingZeros)
        default: throw failure(.unexpectedCharacter(byte))
        }
    }

    private mutating func skipDigits() -> Int {
        let start = position
        while position < input.count, Self.isDigit(input[position]) { position += 1 }
        return position - start
    }

    /// Skips a number (at its `-` or first digit), validating the grammar. A digit after a
    /// leading `0` ends the number unless `rejectingLeadingZeros`, when it is a failure there.
    private mutating func skipNumber(rejectingLeadingZeros: Bool) throws(Failure) {
        if input[position] == UInt8(ascii: "-") { position += 1 }
        guard let first = current, Self.isDigit(first) else { throw failure(.missingDigits) }
        position += 1
        if first == UInt8(ascii: "0") {
            if rejectingLeadingZeros, let next = current, Self.isDigit(next) { throw failure(.leadingZero) }
        } else {
            _ = skipDigits()
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard skipDigits() > 0 else { throw failure(.missingFractionDigits) }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard skipDigits() > 0 else { throw failure(.missingExponentDigits) }
        }
    }

    /// Skips a string (at its opening quote) without decoding it: escapes must be well-formed and
    /// control characters escaped; anything else passes. Failures are reported where scanning
    /// stopped (at the escape letter for a bad escape).
    mutating func skipString() throws(Failure) {
        position += 1  // opening quote
        while position < input.count {
            switch input[position] {
            case UInt8(ascii: "\""):
                position += 1
                return
            case UInt8(ascii: "\\"):
                position += 1
                guard position < input.count else { throw failure(.unterminatedString) }
                switch input[position] {
                case let letter where Self.unescaped(letter) != nil:
                    position += 1
                case UInt8(ascii: "u"):
                    guard position + 4 < input.count,
                        (1...4).allSatisfy({ Self.hexValue(input[position + $0]) != nil })
                    else { throw failure(.invalidUnicodeEscape) }
                    position += 5
                case let escape:
                    throw failure(.invalidEscape(escape))
                }
            case 0..<0x20:
                throw failure(.controlCharacter)
            default:
                position += 1
            }
        }
        throw failure(.unterminatedString)
    }

    /// Scans a string (at its opening quote) and decodes its escapes.
    ///
    /// Strict: raw runs must be valid UTF-8 and surrogates paired. Lenient (for strings
    /// ``skipString()`` has already accepted): a lone surrogate decodes to U+FFFD and raw bytes
    /// pass as they are. Failures are reported at the opening quote (unterminated), at the
    /// backslash (bad escape), at a bad hex digit, or at the start of an invalid UTF-8 run.
    mutating func scanString(strict: Bool) throws(Failure) -> StringContent {
        let quote = position
        position += 1
        let start = position
        var hasEscapes = false
        var decoded: [UInt8] = []
        var runStart = position
        // Any byte ≥ 0x80 in the current run sets the top bit: only such runs need UTF-8 checks.
        var runBits: UInt8 = 0
        while true {
            guard let byte = current else { throw failure(.unterminatedString, at: quote) }
            switch byte {
            case UInt8(ascii: "\""):
                if strict && runBits & 0x80 != 0 { try validateUTF8(runStart..<position) }
                position += 1
                guard hasEscapes else { return .raw(start..<(position - 1)) }
                decoded.append(contentsOf: input[runStart..<(position - 1)])
                return .decoded(decoded)
            case UInt8(ascii: "\\"):
                if strict && runBits & 0x80 != 0 { try validateUTF8(runStart..<position) }
                hasEscapes = true
                decoded.append(contentsOf: input[runStart..<position])
                let scalar = try escape(strict: strict)
                Unicode.UTF8.encode(scalar) { decoded.append($0) }
                runStart = position
                runBits = 0
            case 0..<0x20:
                throw failure(.controlCharacter)
            default:
                runBits |= byte
                position += 1
            }
        }
    }

    private func validateUTF8(_ range: Range<Int>) throws(Failure) {
        var iterator = UnsafeBufferPointer(rebasing: input[range]).makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid: continue
            case .emptyInput: return
            case .error: throw failure(.invalidUTF8, at: range.lowerBound)
            }
        }
    }

    /// Decodes one escape sequence (at its backslash), including surrogate pairs.
    private mutating func escape(strict: Bool) throws(Failure) -> Unicode.Scalar {
        let start = position
        position += 1
        guard let byte = current else { throw failure(.unterminatedEscape, at: start) }
        position += 1
        if let unescaped = Self.unescaped(byte) { return Unicode.Scalar(unescaped) }
        guard byte == UInt8(ascii: "u") else { throw failure(.invalidEscape(byte), at: start) }
        let high = try hex4()
        if (0xD800...0xDBFF).contains(high) {
            if let low = followingLowSurrogate() {
                position += 6
                return Unicode.Scalar(0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00)) ?? "\u{FFFD}"
            }
            guard strict else { return "\u{FFFD}" }
            guard current == UInt8(ascii: "\\"), position + 1 < input.count, input[position + 1] == UInt8(ascii: "u")
            else { throw failure(.loneHighSurrogate, at: start) }
            position += 2
            _ = try hex4()
            throw failure(.invalidLowSurrogate, at: start)
        }
        guard let scalar = Unicode.Scalar(UInt32(high)) else {
            guard strict else { return "\u{FFFD}" }
            throw failure(.loneLowSurrogate, at: start)
        }
        return scalar
    }

    /// The low surrogate of a `\uXXXX` escape at `position`, if that is what follows.
    private func followingLowSurrogate() -> UInt16? {
        guard position + 5 < input.count, input[position] == UInt8(ascii: "\\"),
            input[position + 1] == UInt8(ascii: "u")
        else { return nil }
        var value: UInt16 = 0
        for offset in 2..<6 {
            guard let digit = Self.hexValue(input[position + offset]) else { return nil }
            value = value << 4 | digit
        }
        return (0xDC00...0xDFFF).contains(value) ? value : nil
    }

    private mutating func hex4() throws(Failure) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw failure(.unterminatedUnicodeEscape) }
            guard let digit = Self.hexValue(byte) else { throw failure(.invalidUnicodeEscape) }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}
