extension JSONLexer.Failure.Kind {
    /// What went wrong, in the words the JSON parsers report.
    var message: String {
        switch self {
        case .unexpectedEnd: "unexpected end of input, expected a value"
        case .unexpectedCharacter(let byte): "unexpected character '\(Self.show(byte))', expected a value"
        case .truncatedLiteral(let word), .invalidLiteral(let word): "invalid literal, expected '\(word)'"
        case .missingDigits: "expected a digit"
        case .leadingZero: "leading zeros are not allowed"
        case .missingFractionDigits: "expected a digit after '.'"
        case .missingExponentDigits: "expected a digit in the exponent"
        case .unterminatedString: "unterminated string"
        case .controlCharacter: "unescaped control character in string"
        case .unterminatedEscape: "unterminated escape"
        case .invalidEscape(let byte): "invalid escape '\\\(Self.show(byte))'"
        case .invalidUnicodeEscape: "invalid hex digit in \\u escape"
        case .unterminatedUnicodeEscape: "unterminated \\u escape"
        case .loneHighSurrogate: "lone high surrogate"
        case .invalidLowSurrogate: "invalid low surrogate"
        case .loneLowSurrogate: "lone low surrogate"
        case .invalidUTF8: "invalid UTF-8 in string"
        }
    }

    private static func show(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16)
    }
}
