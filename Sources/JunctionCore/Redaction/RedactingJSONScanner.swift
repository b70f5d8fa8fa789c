/// Validates a JSON text and records the edits redaction needs, as byte ranges of the input and
/// their replacements. Everything outside those ranges (whitespace, key order, number spelling,
/// escapes) is copied through unchanged by ``Redactor``.
struct RedactingJSONScanner {
    /// The input is not JSON (or nests deeper than ``maximumDepth``).
    struct Invalid: Error {}

    struct Edit {
        var range: Range<Int>
        var replacement: [UInt8]
    }

    /// Deeper nesting is treated as invalid (and redacted as text) rather than risking the stack.
    static let maximumDepth = 512

    let input: UnsafeBufferPointer<UInt8>
    let keys: SecretKeyMatcher
    let values: SecretValueMatcher
    private(set) var edits: [Edit] = []
    private var position = 0
    private var depth = 0

    init(input: UnsafeBufferPointer<UInt8>, keys: SecretKeyMatcher, values: SecretValueMatcher) {
        self.input = input
        self.keys = keys
        self.values = values
    }

    /// Scans the whole input as one JSON value surrounded by optional whitespace.
    mutating func document() throws(Invalid) {
        // Validating UTF-8 once up front lets string scanning work on bytes alone.
        guard String(validating: input, as: UTF8.self) != nil else { throw Invalid() }
        skipWhitespace()
        try value(redacting: true)
        skipWhitespace()
        guard position == input.count else { throw Invalid() }
    }

    private var current: UInt8? {
        position < input.count ? input[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            position += 1
        }
    }

    private mutating func expect(_ byte: UInt8) throws(Invalid) {
        guard current == byte else { throw Invalid() }
        position += 1
    }

    /// Scans one value. With `redacting` false the value is only validated: it is about to be
    /// replaced whole, so edits inside it would be meaningless.
    private mutating func value(redacting: Bool) throws(Invalid) {
        guard let byte = current else { throw Invalid() }
        switch byte {
        case UInt8(ascii: "{"): try object(redacting: redacting)
        case UInt8(ascii: "["): try array(redacting: redacting)
        case UInt8(ascii: "\""):
            let start = position
            let decoded = try string()
            if redacting { redactString(decoded, range: start..<position) }
        case UInt8(ascii: "t"): try keyword("true")
        case UInt8(ascii: "f"): try keyword("false")
        case UInt8(ascii: "n"): try keyword("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = position
            try number()
            // A numeric secret (a PIN, an account number) can travel as a JSON number.
            if redacting && values.occurs(in: input[start..<position]) {
                edits.append(Edit(range: start..<position, replacement: Redactor.placeholderJSON))
            }
        default: throw Invalid()
        }
    }

    private mutating func enter() throws(Invalid) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw Invalid() }
        position += 1
        skipWhitespace()
    }

    private mutating func object(redacting: Bool) throws(Invalid) {
        try enter()
        if current == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw Invalid() }
            let keyStart = position
            let key = try string()
            if redacting { redactString(key, range: keyStart..<position) }
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            let valueStart = position
            if redacting && keys.matches(key.text(in: input)) {
                let isNull = current == UInt8(ascii: "n")
                try value(redacting: false)
                // null says nothing; anything else under a secret key goes.
                if !isNull { edits.append(Edit(range: valueStart..<position, replacement: Redactor.placeholderJSON)) }
            } else {
                try value(redacting: redacting)
            }
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "}"))
            depth -= 1
            return
        }
    }

    private mutating func array(redacting: Bool) throws(Invalid) {
        try enter()
        if current == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            try value(redacting: redacting)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                continue
            }
            try expect(UInt8(ascii: "]"))
            depth -= 1
            return
        }
    }

    private mutating func keyword(_ word: StaticString) throws(Invalid) {
        let bytes = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in bytes { try expect(byte) }
    }

    private mutating func number() throws(Invalid) {
        if current == UInt8(ascii: "-") { position += 1 }
        guard let first = current, Self.isDigit(first) else { throw Invalid() }
        position += 1
        if first == UInt8(ascii: "0"), let next = current, Self.isDigit(next) { throw Invalid() }
        skipDigits()
        if current == UInt8(ascii: ".") {
            position += 1
            guard let byte = current, Self.isDigit(byte) else { throw Invalid() }
            skipDigits()
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard let byte = current, Self.isDigit(byte) else { throw Invalid() }
            skipDigits()
        }
    }

    private mutating func skipDigits() {
        while let byte = current, Self.isDigit(byte) { position += 1 }
    }

    /// A string's content: a range of the input when it has no escapes, else its decoded bytes.
    enum Content {
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

    /// Records an edit when the string (key or value) holds a secret value.
    private mutating func redactString(_ content: Content, range: Range<Int>) {
        guard !values.isEmpty else { return }
        let replaced: [UInt8]? =
            switch content {
            case .raw(let raw): values.replacingOccurrences(in: input[raw], with: Redactor.placeholderBytes)
            case .decoded(let bytes): values.replacingOccurrences(in: bytes, with: Redactor.placeholderBytes)
            }
        guard let replaced else { return }
        edits.append(Edit(range: range, replacement: Self.encodeString(replaced)))
    }

    /// Scans a string literal (at its opening quote).
    private mutating func string() throws(Invalid) -> Content {
        position += 1
        let start = position
        var decoded: [UInt8]? = nil
        var runStart = position
        while true {
            guard let byte = current else { throw Invalid() }
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard var bytes = decoded else { return .raw(start..<(position - 1)) }
                bytes.append(contentsOf: input[runStart..<(position - 1)])
                return .decoded(bytes)
            case UInt8(ascii: "\\"):
                if decoded == nil { decoded = [] }
                decoded?.append(contentsOf: input[runStart..<position])
                let scalar = try escape()
                decoded?.append(contentsOf: Array(String(scalar).utf8))
                runStart = position
            case 0..<0x20:
                throw Invalid()
            default:
                position += 1
            }
        }
    }

    /// Decodes one escape sequence (at its backslash), including surrogate pairs.
    private mutating func escape() throws(Invalid) -> Unicode.Scalar {
        position += 1
        guard let byte = current else { throw Invalid() }
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
                try expect(UInt8(ascii: "\\"))
                try expect(UInt8(ascii: "u"))
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw Invalid() }
                let value = 0x10000 + ((UInt32(high) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                guard let scalar = Unicode.Scalar(value) else { throw Invalid() }
                return scalar
            }
            guard let scalar = Unicode.Scalar(UInt32(high)) else { throw Invalid() }
            return scalar
        default:
            throw Invalid()
        }
    }

    private mutating func hex4() throws(Invalid) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw Invalid() }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Invalid()
            }
            value = value << 4 | UInt16(digit)
            position += 1
        }
        return value
    }

    /// A JSON string literal of UTF-8 bytes, minimally escaped.
    static func encodeString(_ bytes: [UInt8]) -> [UInt8] {
        let hex = Array("0123456789abcdef".utf8)
        var output: [UInt8] = [UInt8(ascii: "\"")]
        output.reserveCapacity(bytes.count + 2)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
        return output
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }
}
