/// Validates a JSON text and records the edits redaction needs, as byte ranges of the input and
/// their replacements. Everything outside those ranges (whitespace, key order, number spelling,
/// escapes) is copied through unchanged by ``Redactor``. Tokens are read by the shared
/// ``JSONLexer`` in strict mode (valid UTF-8, paired surrogates); this type adds the grammar and
/// the redaction rules.
struct RedactingJSONScanner {
    /// The input is not JSON (or nests deeper than ``JSONLexer/maximumDepth``).
    struct Invalid: Error {}

    struct Edit {
        var range: Range<Int>
        var replacement: [UInt8]
    }

    let keys: SecretKeyMatcher
    let values: SecretValueMatcher
    private(set) var edits: [Edit] = []
    private var lexer: JSONLexer
    private var depth = 0

    init(input: UnsafeBufferPointer<UInt8>, keys: SecretKeyMatcher, values: SecretValueMatcher) {
        lexer = JSONLexer(input)
        self.keys = keys
        self.values = values
    }

    private var input: UnsafeBufferPointer<UInt8> { lexer.input }
    private var current: UInt8? { lexer.current }

    /// Scans the whole input as one JSON value surrounded by optional whitespace.
    mutating func document() throws(Invalid) {
        lexer.skipWhitespace()
        try value(redacting: true)
        lexer.skipWhitespace()
        guard lexer.isAtEnd else { throw Invalid() }
    }

    private mutating func expect(_ byte: UInt8) throws(Invalid) {
        guard current == byte else { throw Invalid() }
        lexer.position += 1
    }

    /// Scans one value. With `redacting` false the value is only validated: it is about to be
    /// replaced whole, so edits inside it would be meaningless.
    private mutating func value(redacting: Bool) throws(Invalid) {
        switch current {
        case UInt8(ascii: "{"): try object(redacting: redacting)
        case UInt8(ascii: "["): try array(redacting: redacting)
        case UInt8(ascii: "\""):
            let start = lexer.position
            let decoded = try string()
            if redacting { redactString(decoded, range: start..<lexer.position) }
        default:
            let start = lexer.position
            let isNumber = current.map { $0 == UInt8(ascii: "-") || JSONLexer.isDigit($0) } ?? false
            do throws(JSONLexer.Failure) {
                try lexer.skipLiteralOrNumber(rejectingLeadingZeros: true)
            } catch {
                throw Invalid()
            }
            // A numeric secret (a PIN, an account number) can travel as a JSON number.
            if redacting && isNumber && values.occurs(in: input[start..<lexer.position]) {
                edits.append(Edit(range: start..<lexer.position, replacement: Redactor.placeholderJSON))
            }
        }
    }

    private mutating func enter() throws(Invalid) {
        depth += 1
        guard depth <= JSONLexer.maximumDepth else { throw Invalid() }
        lexer.position += 1
        lexer.skipWhitespace()
    }

    private mutating func object(redacting: Bool) throws(Invalid) {
        try enter()
        if current == UInt8(ascii: "}") {
            lexer.position += 1
            depth -= 1
            return
        }
        while true {
            lexer.skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw Invalid() }
            let keyStart = lexer.position
            let key = try string()
            if redacting { redactString(key, range: keyStart..<lexer.position) }
            lexer.skipWhitespace()
            try expect(UInt8(ascii: ":"))
            lexer.skipWhitespace()
            let valueStart = lexer.position
            if redacting && keys.matches(key.text(in: input)) {
                let isNull = current == UInt8(ascii: "n")
                try value(redacting: false)
                // null says nothing; anything else under a secret key goes.
                if !isNull {
                    edits.append(Edit(range: valueStart..<lexer.position, replacement: Redactor.placeholderJSON))
                }
            } else {
                try value(redacting: redacting)
            }
            lexer.skipWhitespace()
            if current == UInt8(ascii: ",") {
                lexer.position += 1
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
            lexer.position += 1
            depth -= 1
            return
        }
        while true {
            lexer.skipWhitespace()
            try value(redacting: redacting)
            lexer.skipWhitespace()
            if current == UInt8(ascii: ",") {
                lexer.position += 1
                continue
            }
            try expect(UInt8(ascii: "]"))
            depth -= 1
            return
        }
    }

    /// Records an edit when the string (key or value) holds a secret value.
    private mutating func redactString(_ content: JSONLexer.StringContent, range: Range<Int>) {
        guard !values.isEmpty else { return }
        let replaced: [UInt8]? =
            switch content {
            case .raw(let raw): values.replacingOccurrences(in: input[raw], with: Redactor.placeholderBytes)
            case .decoded(let bytes): values.replacingOccurrences(in: bytes, with: Redactor.placeholderBytes)
            }
        guard let replaced else { return }
        edits.append(Edit(range: range, replacement: JSONWriter.stringLiteral(utf8: replaced)))
    }

    /// Scans a string literal (at its opening quote).
    private mutating func string() throws(Invalid) -> JSONLexer.StringContent {
        do throws(JSONLexer.Failure) {
            return try lexer.scanString(strict: true)
        } catch {
            throw Invalid()
        }
    }
}
