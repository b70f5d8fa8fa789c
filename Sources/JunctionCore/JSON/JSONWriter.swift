/// Encoding of the JSON Junction writes itself: string literals, minimally escaped.
enum JSONWriter {
    private static let hex: StaticString = "0123456789abcdef"

    /// A JSON string literal for `value`.
    static func stringLiteral(_ value: String) -> [UInt8] {
        stringLiteral(utf8: value.utf8)
    }

    /// A JSON string literal for UTF-8 bytes.
    static func stringLiteral(utf8 bytes: some Collection<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 2)
        appendString(utf8: bytes, to: &output)
        return output
    }

    /// Appends a JSON string literal for UTF-8 bytes: `"` and `\` escaped, `\n \r \t` (and with
    /// `shortControlEscapes` also `\b \f`) by letter, other control characters as `\u00xx`,
    /// everything else (`/`, non-ASCII) verbatim.
    static func appendString(
        utf8 bytes: some Sequence<UInt8>, to output: inout [UInt8], shortControlEscapes: Bool = false
    ) {
        output.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): output.append(UInt8(ascii: "\\")); output.append(byte)
            case 0x0A: appendEscape(UInt8(ascii: "n"), to: &output)
            case 0x0D: appendEscape(UInt8(ascii: "r"), to: &output)
            case 0x09: appendEscape(UInt8(ascii: "t"), to: &output)
            case 0x08 where shortControlEscapes: appendEscape(UInt8(ascii: "b"), to: &output)
            case 0x0C where shortControlEscapes: appendEscape(UInt8(ascii: "f"), to: &output)
            case 0..<0x20:
                appendEscape(UInt8(ascii: "u"), to: &output)
                output.append(UInt8(ascii: "0"))
                output.append(UInt8(ascii: "0"))
                hex.withUTF8Buffer { digits in
                    output.append(digits[Int(byte >> 4)])
                    output.append(digits[Int(byte & 0xF)])
                }
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ letter: UInt8, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        output.append(letter)
    }
}
