/// Checks that bytes are one JSON document as RFC 8259 writes it, before a lenient decoder reads
/// them. Foundation's `JSONDecoder` on Linux accepts a byte order mark, trailing commas and
/// repeated keys (the last one wins), so two readers of the same body could disagree on what it
/// says; the admin API refuses such bodies instead. Tokens come from the shared ``JSONLexer`` in
/// strict mode (valid UTF-8, paired surrogates, no leading zeros); this type adds the grammar,
/// the duplicate-key check and a field path for the error.
public struct StrictJSONValidator {
    /// Why the bytes were refused, and where.
    public struct Violation: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, in a sentence fragment (`duplicate key 'name'`).
        public var reason: String
        /// The member at fault as `a.b[2].c`, when there is one (the repeated key itself for a
        /// duplicate, the enclosing member for a trailing comma).
        public var path: String?
        /// Byte offset into the input.
        public var offset: Int

        public var description: String { "\(reason) at byte \(offset)" }
    }

    private var lexer: JSONLexer
    private var depth = 0
    private var path: [PathElement] = []

    private enum PathElement {
        case key(String)
        case index(Int)
    }

    /// Throws the first violation in `bytes`; returns when they hold exactly one strict JSON value
    /// (whitespace around it allowed).
    public static func validate(_ bytes: some Collection<UInt8>) throws(Violation) {
        let result: Result<Void, Violation>? = bytes.withContiguousStorageIfAvailable { buffer in
            Self.run(buffer)
        }
        switch result ?? Array(bytes).withUnsafeBufferPointer({ Self.run($0) }) {
        case .success: return
        case .failure(let violation): throw violation
        }
    }

    private static func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<Void, Violation> {
        var validator = StrictJSONValidator(lexer: JSONLexer(buffer))
        do throws(Violation) {
            try validator.document()
            return .success(())
        } catch {
            return .failure(error)
        }
    }

    private init(lexer: JSONLexer) {
        self.lexer = lexer
    }

    private var current: UInt8? { lexer.current }

    private mutating func document() throws(Violation) {
        if lexer.input.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw fail("the body starts with a byte order mark; send UTF-8 JSON without one", at: 0)
        }
        lexer.skipWhitespace()
        try value()
        lexer.skipWhitespace()
        guard lexer.isAtEnd else { throw fail("unexpected data after the JSON value") }
    }

    private func fail(_ reason: String, at offset: Int? = nil) -> Violation {
        Violation(reason: reason, path: currentPath, offset: offset ?? lexer.position)
    }

    /// The current path as the API names fields: keys joined by dots, indexes in brackets.
    private var currentPath: String? {
        guard !path.isEmpty else { return nil }
        var text = ""
        for element in path {
            switch element {
            case .key(let key): text += text.isEmpty ? key : "." + key
            case .index(let index): text += "[\(index)]"
            }
        }
        return text
    }

    private mutating func value() throws(Violation) {
        switch current {
        case UInt8(ascii: "{"): try object()
        case UInt8(ascii: "["): try array()
        case UInt8(ascii: "\""): _ = try string()
        default:
            do throws(JSONLexer.Failure) {
                try lexer.skipLiteralOrNumber(rejectingLeadingZeros: true)
            } catch {
                throw lexical(error)
            }
        }
    }

    private mutating func enter() throws(Violation) {
        depth += 1
        guard depth <= JSONLexer.maximumDepth else {
            throw fail("nesting deeper than \(JSONLexer.maximumDepth) levels")
        }
    }

    private mutating func object() throws(Violation) {
        try enter()
        lexer.position += 1
        lexer.skipWhitespace()
        if current == UInt8(ascii: "}") {
            lexer.position += 1
            depth -= 1
            return
        }
        // Swift strings compare by canonical equivalence, as the decoder's dictionary keys do:
        // "é" precomposed and decomposed are one key to it, so they are one key here too.
        var keys: Set<String> = []
        while true {
            lexer.skipWhitespace()
            let keyOffset = lexer.position
            if current == UInt8(ascii: "}") { throw fail("trailing comma before '}'") }
            guard current == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try string()
            path.append(.key(key))
            guard keys.insert(key).inserted else { throw fail("duplicate key '\(key)'", at: keyOffset) }
            lexer.skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':' after object key") }
            lexer.position += 1
            lexer.skipWhitespace()
            try value()
            path.removeLast()
            lexer.skipWhitespace()
            if current == UInt8(ascii: ",") {
                lexer.position += 1
                continue
            }
            guard current == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in object") }
            lexer.position += 1
            break
        }
        depth -= 1
    }

    private mutating func array() throws(Violation) {
        try enter()
        lexer.position += 1
        lexer.skipWhitespace()
        if current == UInt8(ascii: "]") {
            lexer.position += 1
            depth -= 1
            return
        }
        var index = 0
        while true {
            lexer.skipWhitespace()
            if current == UInt8(ascii: "]") { throw fail("trailing comma before ']'") }
            path.append(.index(index))
            try value()
            path.removeLast()
            index += 1
            lexer.skipWhitespace()
            if current == UInt8(ascii: ",") {
                lexer.position += 1
                continue
            }
            guard current == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in array") }
            lexer.position += 1
            break
        }
        depth -= 1
    }

    /// Reads a string literal (at its opening quote), decoded.
    private mutating func string() throws(Violation) -> String {
        do throws(JSONLexer.Failure) {
            return try lexer.scanString(strict: true).text(in: lexer.input)
        } catch {
            throw lexical(error)
        }
    }

    private func lexical(_ failure: JSONLexer.Failure) -> Violation {
        let reason = failure.kind.message
        return fail(reason, at: failure.offset)
    }
}
