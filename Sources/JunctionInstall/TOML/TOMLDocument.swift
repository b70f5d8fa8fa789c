/// A TOML file read as a list of statements with their byte ranges: blank and comment lines, table
/// headers, and `key = value` pairs (values may span lines). Values are parsed far enough to read
/// MCP server tables (strings, arrays, inline tables); other scalars keep their text. Editors cut
/// and splice whole statements, so everything else stays byte-for-byte.
struct TOMLDocument: Sendable {
    let bytes: [UInt8]
    let statements: [Statement]

    struct Statement: Sendable {
        var kind: Kind
        /// From the start of its first line to the start of the next statement (line break included).
        var range: Range<Int>

        enum Kind: Sendable {
            case trivia
            /// `[a.b]`, or `[[a.b]]` when `isArray`.
            case table(path: [String], isArray: Bool)
            /// `key.path = value`; `table` is the path of the table it sits in.
            case keyValue(table: [String], key: [String], value: TOMLValue, valueRange: Range<Int>)
        }

        var tablePath: [String]? {
            if case .table(let path, _) = kind { return path }
            return nil
        }
    }

    init(_ bytes: [UInt8]) throws(SyntaxError) {
        self.bytes = bytes
        var parser = Parser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        var statements: [Statement] = []
        var table: [String] = []
        while parser.index < bytes.count {
            let start = statements.isEmpty ? 0 : parser.index
            parser.skipBlanks()
            let kind: Statement.Kind
            if parser.atLineEnd {
                kind = .trivia
            } else if parser.peek == UInt8(ascii: "[") {
                let isArray = parser.peek(1) == UInt8(ascii: "[")
                parser.index += isArray ? 2 : 1
                parser.skipBlanks()
                let path = try parser.parseKey()
                parser.skipBlanks()
                for _ in 0..<(isArray ? 2 : 1) {
                    guard parser.peek == UInt8(ascii: "]") else {
                        throw SyntaxError("expected ']' to close the table header", at: parser.index)
                    }
                    parser.index += 1
                }
                table = path
                kind = .table(path: path, isArray: isArray)
            } else {
                let key = try parser.parseKey()
                parser.skipBlanks()
                guard parser.peek == UInt8(ascii: "=") else {
                    throw SyntaxError("expected '=' after the key '\(key.joined(separator: "."))'", at: parser.index)
                }
                parser.index += 1
                parser.skipBlanks()
                let valueStart = parser.index
                let value = try parser.parseValue(depth: 0)
                kind = .keyValue(table: table, key: key, value: value, valueRange: valueStart..<parser.index)
            }
            parser.skipBlanks()
            try parser.finishLine()
            statements.append(Statement(kind: kind, range: start..<parser.index))
        }
        self.statements = statements
    }

    /// The newline the file uses (`\r\n` when its first line break is one).
    var newline: String {
        guard let lineBreak = bytes.firstIndex(of: 0x0A) else { return "\n" }
        return lineBreak > 0 && bytes[lineBreak - 1] == 0x0D ? "\r\n" : "\n"
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
        func peek(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }

        var atLineEnd: Bool {
            guard let byte = peek else { return true }
            return byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: "#")
        }

        mutating func skipBlanks() {
            while let byte = peek, byte == 0x20 || byte == 0x09 { index += 1 }
        }

        /// After a statement: an optional comment, then the line break (or the end of the file).
        mutating func finishLine() throws(SyntaxError) {
            if peek == UInt8(ascii: "#") {
                while let byte = peek, byte != 0x0A { index += 1 }
                if index > 0 && bytes[index - 1] == 0x0D { index -= 1 }
            }
            if peek == 0x0D && peek(1) == 0x0A { index += 1 }
            guard let byte = peek else { return }
            guard byte == 0x0A else { throw SyntaxError("expected the end of the line", at: index) }
            index += 1
        }

        /// Blanks, line breaks and comments (inside arrays and inline tables).
        mutating func skipTrivia() {
            while let byte = peek {
                if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                    index += 1
                } else if byte == UInt8(ascii: "#") {
                    while let byte = peek, byte != 0x0A { index += 1 }
                } else {
                    return
                }
            }
        }

        static func isBare(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "-")
        }

        mutating func parseKey() throws(SyntaxError) -> [String] {
            var parts: [String] = []
            while true {
                skipBlanks()
                if peek == UInt8(ascii: "\"") || peek == UInt8(ascii: "'") {
                    guard case .string(let part) = try parseString() else {
                        throw SyntaxError("invalid key", at: index)
                    }
                    parts.append(part)
                } else {
                    let start = index
                    while let byte = peek, Self.isBare(byte) { index += 1 }
                    guard index > start else { throw SyntaxError("expected a key", at: index) }
                    parts.append(String(decoding: bytes[start..<index], as: UTF8.self))
                }
                skipBlanks()
                guard peek == UInt8(ascii: ".") else { return parts }
                index += 1
            }
        }

        mutating func parseValue(depth: Int) throws(SyntaxError) -> TOMLValue {
            guard depth < 128 else { throw SyntaxError("nested too deeply", at: index) }
            guard let byte = peek, byte != 0x0A, byte != 0x0D else {
                throw SyntaxError("expected a value", at: index)
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                return try parseString()
            case UInt8(ascii: "["):
                let start = index
                index += 1
                var items: [TOMLValue] = []
                while true {
                    skipTrivia()
                    guard let next = peek else { throw SyntaxError("unterminated array: expected ']'", at: start) }
                    if next == UInt8(ascii: "]") {
                        index += 1
                        return .array(items)
                    }
                    items.append(try parseValue(depth: depth + 1))
                    skipTrivia()
                    if peek == UInt8(ascii: ",") {
                        index += 1
                    } else if peek == nil {
                        throw SyntaxError("unterminated array: expected ']'", at: start)
                    } else if peek != UInt8(ascii: "]") {
                        throw SyntaxError("expected ',' or ']' in the array", at: index)
                    }
                }
            case UInt8(ascii: "{"):
                let start = index
                index += 1
                var members: [(key: [String], value: TOMLValue)] = []
                while true {
                    skipTrivia()
                    guard let next = peek else {
                        throw SyntaxError("unterminated inline table: expected '}'", at: start)
                    }
                    if next == UInt8(ascii: "}") {
                        index += 1
                        return .table(TOMLValue.nest(members))
                    }
                    let key = try parseKey()
                    skipBlanks()
                    guard peek == UInt8(ascii: "=") else {
                        throw SyntaxError("expected '=' in the inline table", at: index)
                    }
                    index += 1
                    skipBlanks()
                    members.append((key, try parseValue(depth: depth + 1)))
                    skipTrivia()
                    if peek == UInt8(ascii: ",") {
                        index += 1
                    } else if peek != UInt8(ascii: "}") {
                        throw SyntaxError("expected ',' or '}' in the inline table", at: index)
                    }
                }
            default:
                // Numbers, booleans, dates and times: kept as text.
                let start = index
                while let next = peek,
                    Self.isBare(next) || next == UInt8(ascii: ".") || next == UInt8(ascii: ":")
                        || next == UInt8(ascii: "+")
                {
                    index += 1
                }
                // A date and a time separated by one space.
                if peek == 0x20, let digit = peek(1), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit),
                    index - start == 10, bytes[start + 4] == UInt8(ascii: "-")
                {
                    index += 1
                    while let next = peek,
                        Self.isBare(next) || next == UInt8(ascii: ".") || next == UInt8(ascii: ":")
                            || next == UInt8(ascii: "+")
                    {
                        index += 1
                    }
                }
                guard index > start else { throw SyntaxError("expected a value", at: start) }
                return .other(String(decoding: bytes[start..<index], as: UTF8.self))
            }
        }

        mutating func parseString() throws(SyntaxError) -> TOMLValue {
            let start = index
            let quote = bytes[index]
            let multiLine = peek(1) == quote && peek(2) == quote
            index += multiLine ? 3 : 1
            if multiLine {
                // A line break right after the opening delimiter is not part of the string.
                if peek == 0x0D && peek(1) == 0x0A { index += 2 } else if peek == 0x0A { index += 1 }
            }
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ end: Int) {
                scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars)
            }
            while true {
                guard let byte = peek else { throw SyntaxError("unterminated string", at: start) }
                if byte == quote {
                    if !multiLine {
                        flush(index)
                        index += 1
                        return .string(String(scalars))
                    }
                    if peek(1) == quote && peek(2) == quote {
                        // Up to two quotes may end the content right before the closing delimiter.
                        var end = index + 3
                        while end < bytes.count && bytes[end] == quote && end - index < 5 { end += 1 }
                        flush(end - 3)
                        index = end
                        return .string(String(scalars))
                    }
                    index += 1
                    continue
                }
                if (byte == 0x0A || byte == 0x0D) && !multiLine {
                    throw SyntaxError("unterminated string (line break inside quotes)", at: index)
                }
                if byte != UInt8(ascii: "\\") || quote == UInt8(ascii: "'") {
                    index += 1
                    continue
                }
                flush(index)
                guard let escape = peek(1) else { throw SyntaxError("unterminated string", at: start) }
                index += 2
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "e"): scalars.append("\u{1B}")
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = escape == UInt8(ascii: "u") ? 4 : 8
                    guard index + count <= bytes.count,
                        let code = UInt32(String(decoding: bytes[index..<index + count], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else {
                        throw SyntaxError("invalid unicode escape", at: index - 2)
                    }
                    scalars.append(scalar)
                    index += count
                case 0x20, 0x09, 0x0A, 0x0D:
                    guard multiLine else { throw SyntaxError("invalid escape sequence in string", at: index - 2) }
                    // Line-ending backslash: trims the line break and leading whitespace that follow.
                    index -= 1
                    while let next = peek, next == 0x20 || next == 0x09 || next == 0x0A || next == 0x0D { index += 1 }
                default:
                    throw SyntaxError("invalid escape sequence in string", at: index - 2)
                }
                runStart = index
            }
        }
    }
}

/// A TOML value as far as Junction needs it.
indirect enum TOMLValue: Sendable, Hashable {
    case string(String)
    case array([TOMLValue])
    case table([Member])
    /// Numbers, booleans, dates: their source text.
    case other(String)

    struct Member: Sendable, Hashable {
        var key: String
        var value: TOMLValue
    }

    /// Turns dotted keys (`a.b = 1`) into nested tables.
    static func nest(_ pairs: [(key: [String], value: TOMLValue)]) -> [Member] {
        var members: [Member] = []
        for (key, value) in pairs {
            guard let first = key.first else { continue }
            if key.count == 1 {
                members.append(Member(key: first, value: value))
                continue
            }
            let inner = nest([(Array(key.dropFirst()), value)])
            if let index = members.firstIndex(where: { $0.key == first }),
                case .table(let existing) = members[index].value
            {
                members[index].value = .table(existing + inner)
            } else {
                members.append(Member(key: first, value: .table(inner)))
            }
        }
        return members
    }

    subscript(key: String) -> TOMLValue? {
        guard case .table(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    var stringArray: [String]? {
        guard case .array(let items) = self else { return nil }
        var result: [String] = []
        for item in items {
            guard case .string(let value) = item else { return nil }
            result.append(value)
        }
        return result
    }

    /// A table of string values (such as `env`), else nil.
    var stringTable: [(String, String)]? {
        guard case .table(let members) = self else { return nil }
        var result: [(String, String)] = []
        for member in members {
            guard case .string(let value) = member.value else { return nil }
            result.append((member.key, value))
        }
        return result
    }
}
