/// A JSON-with-comments document parsed without losing a byte: every value knows its byte range,
/// every object member where its key, value and comma sit. Accepts `//` and `/* */` comments and
/// trailing commas (as VS Code and Zed do); editors splice text at these ranges and leave the rest
/// of the file exactly as it was.
struct JSONCDocument: Sendable {
    let bytes: [UInt8]
    /// nil when the file holds only whitespace and comments (or nothing).
    let root: Node?

    struct Node: Sendable {
        var kind: Kind
        var range: Range<Int>

        enum Kind: Sendable {
            case object([Member])
            case array([Node])
            case scalar(JSONCValue)
        }

        var value: JSONCValue {
            switch kind {
            case .object(let members): .object(members.map { JSONCValue.Member($0.key, $0.value.value) })
            case .array(let items): .array(items.map(\.value))
            case .scalar(let value): value
            }
        }

        var members: [Member]? {
            if case .object(let members) = kind { return members }
            return nil
        }

        /// The last member named `key` (the one JSON parsers keep).
        func member(_ key: String) -> Member? {
            members?.last { $0.key == key }
        }
    }

    struct Member: Sendable {
        var key: String
        var keyRange: Range<Int>
        var value: Node
        /// Offset of the comma that follows the value, if any.
        var comma: Int?

        /// From the key to the end of the value (the comma excluded).
        var range: Range<Int> { keyRange.lowerBound..<value.range.upperBound }
    }

    /// Deep enough for any configuration file; deeper input is refused rather than overflowing the stack.
    static let maximumDepth = 256

    init(_ bytes: [UInt8]) throws(SyntaxError) {
        self.bytes = bytes
        var parser = Parser(bytes: bytes)
        // A UTF-8 byte order mark is kept in the bytes and skipped by the parser.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        try parser.skipTrivia()
        if parser.index == bytes.count {
            root = nil
            return
        }
        let value = try parser.parseValue(depth: 0)
        try parser.skipTrivia()
        if parser.index != bytes.count {
            throw SyntaxError(
                "unexpected \(parser.describeCurrent()) after the end of the JSON value", at: parser.index)
        }
        root = value
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        mutating func skipTrivia() throws(SyntaxError) {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D:
                    index += 1
                case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "/"):
                    while index < bytes.count && bytes[index] != 0x0A { index += 1 }
                case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                    let start = index
                    index += 2
                    while true {
                        guard index + 1 < bytes.count else {
                            throw SyntaxError("unterminated /* comment", at: start)
                        }
                        if bytes[index] == UInt8(ascii: "*") && bytes[index + 1] == UInt8(ascii: "/") {
                            index += 2
                            break
                        }
                        index += 1
                    }
                default:
                    return
                }
            }
        }

        func describeCurrent() -> String {
            guard index < bytes.count else { return "end of file" }
            let byte = bytes[index]
            if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return "character"
        }

        mutating func parseValue(depth: Int) throws(SyntaxError) -> Node {
            guard depth < JSONCDocument.maximumDepth else {
                throw SyntaxError("nested too deeply", at: index)
            }
            guard index < bytes.count else { throw SyntaxError("expected a value, found the end of file", at: index) }
            let start = index
            switch bytes[index] {
            case UInt8(ascii: "{"):
                return try parseObject(depth: depth)
            case UInt8(ascii: "["):
                return try parseArray(depth: depth)
            case UInt8(ascii: "\""):
                let string = try parseString()
                return Node(kind: .scalar(.string(string)), range: start..<index)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let text = try parseNumber()
                return Node(kind: .scalar(.number(text)), range: start..<index)
            default:
                for (word, value) in [("true", JSONCValue.bool(true)), ("false", .bool(false)), ("null", .null)]
                where bytes[index...].starts(with: word.utf8) {
                    let end = index + word.utf8.count
                    if end < bytes.count, isWordByte(bytes[end]) { break }
                    index = end
                    return Node(kind: .scalar(value), range: start..<end)
                }
                throw SyntaxError("expected a value, found \(describeCurrent())", at: index)
            }
        }

        private func isWordByte(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        }

        private mutating func parseObject(depth: Int) throws(SyntaxError) -> Node {
            let start = index
            index += 1
            var members: [Member] = []
            while true {
                try skipTrivia()
                guard index < bytes.count else { throw SyntaxError("unterminated object: expected '}'", at: start) }
                if bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return Node(kind: .object(members), range: start..<index)
                }
                if !members.isEmpty && members[members.count - 1].comma == nil {
                    throw SyntaxError(
                        "expected ',' or '}' after an object member, found \(describeCurrent())", at: index)
                }
                guard bytes[index] == UInt8(ascii: "\"") else {
                    throw SyntaxError("expected a quoted member name, found \(describeCurrent())", at: index)
                }
                let keyStart = index
                let key = try parseString()
                let keyRange = keyStart..<index
                try skipTrivia()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                    throw SyntaxError(
                        "expected ':' after member name \"\(key)\", found \(describeCurrent())", at: index)
                }
                index += 1
                try skipTrivia()
                let value = try parseValue(depth: depth + 1)
                try skipTrivia()
                var comma: Int?
                if index < bytes.count && bytes[index] == UInt8(ascii: ",") {
                    comma = index
                    index += 1
                }
                members.append(Member(key: key, keyRange: keyRange, value: value, comma: comma))
            }
        }

        private mutating func parseArray(depth: Int) throws(SyntaxError) -> Node {
            let start = index
            index += 1
            var items: [Node] = []
            var expectingItem = true
            while true {
                try skipTrivia()
                guard index < bytes.count else { throw SyntaxError("unterminated array: expected ']'", at: start) }
                if bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return Node(kind: .array(items), range: start..<index)
                }
                guard expectingItem else {
                    throw SyntaxError("expected ',' or ']' after an array item, found \(describeCurrent())", at: index)
                }
                items.append(try parseValue(depth: depth + 1))
                try skipTrivia()
                expectingItem = false
                if index < bytes.count && bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    expectingItem = true
                }
            }
        }

        private mutating func parseNumber() throws(SyntaxError) -> String {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            let digits = UInt8(ascii: "0")...UInt8(ascii: "9")
            func run(_ index: inout Int) -> Int {
                let from = index
                while index < bytes.count && digits.contains(bytes[index]) { index += 1 }
                return index - from
            }
            guard run(&index) > 0 else { throw SyntaxError("invalid number", at: start) }
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard run(&index) > 0 else { throw SyntaxError("invalid number", at: start) }
            }
            if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
                index += 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                    index += 1
                }
                guard run(&index) > 0 else { throw SyntaxError("invalid number", at: start) }
            }
            if index < bytes.count && isWordByte(bytes[index]) { throw SyntaxError("invalid number", at: start) }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// Parses a string at `index` (on its opening quote) and returns its decoded text.
        mutating func parseString() throws(SyntaxError) -> String {
            let start = index
            index += 1
            var scalars = String.UnicodeScalarView()
            var runStart = index
            func flush(_ end: Int) {
                scalars.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars)
            }
            while true {
                guard index < bytes.count else { throw SyntaxError("unterminated string", at: start) }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    flush(index)
                    index += 1
                    return String(scalars)
                }
                if byte < 0x20 {
                    throw SyntaxError(
                        byte == 0x0A ? "unterminated string (line break inside quotes)" : "control character in string",
                        at: index)
                }
                if byte != UInt8(ascii: "\\") {
                    index += 1
                    continue
                }
                flush(index)
                guard index + 1 < bytes.count else { throw SyntaxError("unterminated string", at: start) }
                let escape = bytes[index + 1]
                index += 2
                switch escape {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4(at: index - 2)
                    if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    {
                        index += 2
                        let low = try hex4(at: index - 2)
                        if (0xDC00..<0xE000).contains(low) {
                            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                        }
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default:
                    throw SyntaxError("invalid escape sequence in string", at: index - 2)
                }
                runStart = index
            }
        }

        private mutating func hex4(at escapeStart: Int) throws(SyntaxError) -> UInt32 {
            guard index + 4 <= bytes.count else { throw SyntaxError("invalid \\u escape", at: escapeStart) }
            var code: UInt32 = 0
            for byte in bytes[index..<index + 4] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw SyntaxError("invalid \\u escape", at: escapeStart)
                }
                code = code << 4 | UInt32(digit)
            }
            index += 4
            return code
        }
    }
}
