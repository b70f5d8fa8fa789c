/// Text-preserving edits of JSON-with-comments files: set or remove one member of the object at a
/// key path. Only the bytes of that member (and a comma it needs or leaves dangling) change; the
/// new text follows the file's indentation and line endings.
struct JSONCEditor: Sendable {
    private(set) var bytes: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Sets `path + [name]` to `value`, creating the objects on the way. When `name` already holds an
    /// object and `value` is one, only the members of `value` are set (so keys a person added to the
    /// entry stay). Returns whether anything changed.
    @discardableResult
    mutating func set(_ value: JSONCValue, at path: [String], name: String) throws(SyntaxError) -> Bool {
        let document = try JSONCDocument(bytes)
        let style = Style(document)
        guard let root = document.root else {
            var wrapped = JSONCValue.object([.init(name, value)])
            for key in path.reversed() { wrapped = .object([.init(key, wrapped)]) }
            var text = bytes
            if !text.isEmpty && text.last != 0x0A { text += Array(style.newline.utf8) }
            text += Array((style.render(wrapped, indent: "") + style.newline).utf8)
            bytes = text
            return true
        }
        guard case .object = root.kind else {
            throw SyntaxError("the top level is not a JSON object", at: root.range.lowerBound)
        }
        var container = root
        for (depth, key) in path.enumerated() {
            guard let member = container.member(key) else {
                var wrapped = JSONCValue.object([.init(name, value)])
                for inner in path[(depth + 1)...].reversed() { wrapped = .object([.init(inner, wrapped)]) }
                insert(key, wrapped, into: container, style: style)
                return true
            }
            guard case .object = member.value.kind else {
                throw SyntaxError(
                    "\"\(path[...depth].joined(separator: "."))\" is not an object", at: member.value.range.lowerBound)
            }
            container = member.value
        }
        guard let existing = container.member(name) else {
            insert(name, value, into: container, style: style)
            return true
        }
        if case .object(let wanted) = value, case .object = existing.value.kind {
            var changed = false
            for member in wanted
            where !(existing.value.member(member.key)?.value.value.sameJSON(as: member.value) ?? false) {
                changed = try set(member.value, at: path + [name], name: member.key) || changed
            }
            return changed
        }
        if existing.value.value.sameJSON(as: value) { return false }
        let indent =
            style.isFirstOnLine(existing.keyRange.lowerBound) ? style.lineIndent(of: existing.keyRange.lowerBound) : nil
        let text = indent.map { style.render(value, indent: $0) } ?? style.compact(value)
        bytes.replaceSubrange(existing.value.range, with: Array(text.utf8))
        return true
    }

    /// Removes `path + [name]` and the comma it leaves dangling. Returns false when it is absent.
    @discardableResult
    mutating func remove(at path: [String], name: String) throws(SyntaxError) -> Bool {
        let document = try JSONCDocument(bytes)
        guard var container = document.root, case .object = container.kind else { return false }
        for (depth, key) in path.enumerated() {
            guard let member = container.member(key) else { return false }
            guard case .object = member.value.kind else {
                throw SyntaxError(
                    "\"\(path[...depth].joined(separator: "."))\" is not an object", at: member.value.range.lowerBound)
            }
            container = member.value
        }
        guard let members = container.members, let index = members.lastIndex(where: { $0.key == name }) else {
            return false
        }
        let style = Style(document)
        let member = members[index]
        let ownLine = style.isFirstOnLine(member.keyRange.lowerBound)
        // Start: the line break before the member's own line, else right after what precedes it.
        var start = member.keyRange.lowerBound
        if ownLine {
            start = style.lineStart(of: start)
            if start > 0 && bytes[start - 1] == 0x0A { start -= 1 }
            if start > 0 && bytes[start - 1] == 0x0D { start -= 1 }
        } else {
            while start > 0 && Style.isSpace(bytes[start - 1]) { start -= 1 }
        }
        // End: after the value (and its comma), with what else sits on its line when that is only
        // blanks or a comment.
        var end = member.comma.map { $0 + 1 } ?? member.value.range.upperBound
        if ownLine {
            let lineEnd = style.endOfLineContent(from: end)
            if lineEnd < bytes.count && (bytes[lineEnd] == 0x0A || bytes[lineEnd] == 0x0D) { end = lineEnd }
        }
        var edits: [(Range<Int>, [UInt8])] = []
        if members.count == 1 {
            let open = container.range.lowerBound + 1
            let close = container.range.upperBound - 1
            let rest = Array(bytes[open..<min(start, member.keyRange.lowerBound)]) + Array(bytes[end..<close])
            if rest.allSatisfy(Style.isSpace) {
                edits.append((open..<close, []))
            } else {
                edits.append((max(start, open)..<end, []))
            }
        } else if index == members.count - 1 {
            // The previous member's comma dangles unless this member had its own trailing comma.
            edits.append((start..<end, []))
            if member.comma == nil, let comma = members[index - 1].comma { edits.append((comma..<comma + 1, [])) }
        } else {
            edits.append((start..<end, []))
        }
        apply(edits)
        return true
    }

    /// Inserts a new member at the end of `object`, in the object's own layout.
    private mutating func insert(_ key: String, _ value: JSONCValue, into object: JSONCDocument.Node, style: Style) {
        let open = object.range.lowerBound
        let close = object.range.upperBound - 1
        let keyText = style.compact(.string(key))
        guard let last = object.members?.last else {
            let indent = style.lineIndent(of: open)
            let child = indent + style.unit
            let interior = bytes[(open + 1)..<close]
            var text = style.newline + child + keyText + ": " + style.render(value, indent: child)
            if interior.allSatisfy(Style.isSpace) {
                text += style.newline + indent
                apply([((open + 1)..<close, Array(text.utf8))])
            } else {
                apply([((open + 1)..<(open + 1), Array(text.utf8))])
            }
            return
        }
        var edits: [(Range<Int>, [UInt8])] = []
        let afterValue = last.value.range.upperBound
        if last.comma == nil { edits.append((afterValue..<afterValue, [UInt8(ascii: ",")])) }
        let afterComma = last.comma.map { $0 + 1 } ?? afterValue
        // A file that ends its members with a comma gets one after the new member too, which also
        // tells uninstall to leave the previous member's comma alone.
        let trailing = last.comma == nil ? "" : ","
        if style.isFirstOnLine(last.keyRange.lowerBound) {
            let indent = style.lineIndent(of: last.keyRange.lowerBound)
            let position = style.endOfLineContent(from: afterComma)
            let text = style.newline + indent + keyText + ": " + style.render(value, indent: indent) + trailing
            edits.append((position..<position, Array(text.utf8)))
        } else {
            let text = " " + keyText + ": " + style.compact(value) + trailing
            edits.append((afterComma..<afterComma, Array(text.utf8)))
        }
        apply(edits)
    }

    /// Applies non-overlapping edits, last first so earlier offsets stay valid; insertions at one
    /// offset end up in the order given.
    private mutating func apply(_ edits: [(Range<Int>, [UInt8])]) {
        let ordered = edits.enumerated().sorted { lhs, rhs in
            lhs.element.0.lowerBound != rhs.element.0.lowerBound
                ? lhs.element.0.lowerBound > rhs.element.0.lowerBound : lhs.offset > rhs.offset
        }
        for (_, (range, text)) in ordered {
            bytes.replaceSubrange(range, with: text)
        }
    }

    /// The file's layout conventions, read from the file itself.
    struct Style {
        let bytes: [UInt8]
        let newline: String
        let unit: String

        init(_ document: JSONCDocument) {
            let bytes = document.bytes
            self.bytes = bytes
            let firstBreak = bytes.firstIndex(of: 0x0A)
            newline = firstBreak.map { $0 > 0 && bytes[$0 - 1] == 0x0D } == true ? "\r\n" : "\n"
            unit = Self.indentUnit(document)
        }

        static func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }

        /// The indentation step: what the root's first member adds to the root's line, else the
        /// first indented line of the file, else two spaces.
        private static func indentUnit(_ document: JSONCDocument) -> String {
            let bytes = document.bytes
            let probe = Style(bytes: bytes)
            if let root = document.root, let first = root.members?.first,
                probe.isFirstOnLine(first.keyRange.lowerBound)
            {
                let outer = probe.lineIndent(of: root.range.lowerBound)
                let inner = probe.lineIndent(of: first.keyRange.lowerBound)
                if inner.count > outer.count && inner.hasPrefix(outer) { return String(inner.dropFirst(outer.count)) }
            }
            var index = 0
            while let lineBreak = bytes[index...].firstIndex(of: 0x0A) {
                var cursor = lineBreak + 1
                while cursor < bytes.count && (bytes[cursor] == 0x20 || bytes[cursor] == 0x09) { cursor += 1 }
                if cursor > lineBreak + 1, cursor < bytes.count, !isSpace(bytes[cursor]) {
                    return String(decoding: bytes[(lineBreak + 1)..<cursor], as: UTF8.self)
                }
                index = lineBreak + 1
            }
            return "  "
        }

        /// Two-space indentation and `\n`: the layout of a file Junction creates.
        init(bytes: [UInt8]) {
            self.bytes = bytes
            newline = "\n"
            unit = "  "
        }

        func lineStart(of offset: Int) -> Int {
            var index = offset
            while index > 0 && bytes[index - 1] != 0x0A { index -= 1 }
            return index
        }

        /// The spaces and tabs that start the line holding `offset`.
        func lineIndent(of offset: Int) -> String {
            let start = lineStart(of: offset)
            var end = start
            while end < offset && (bytes[end] == 0x20 || bytes[end] == 0x09) { end += 1 }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }

        func isFirstOnLine(_ offset: Int) -> Bool {
            bytes[lineStart(of: offset)..<offset].allSatisfy { $0 == 0x20 || $0 == 0x09 }
        }

        /// From `offset`, past blanks and comments on the same line: the offset of the line break
        /// when only those follow, else the offset right after the last thing skipped.
        func endOfLineContent(from offset: Int) -> Int {
            var position = offset
            while true {
                var cursor = position
                while cursor < bytes.count && (bytes[cursor] == 0x20 || bytes[cursor] == 0x09) { cursor += 1 }
                guard cursor < bytes.count else { return position }
                if bytes[cursor] == 0x0A || bytes[cursor] == 0x0D { return cursor }
                guard bytes[cursor] == UInt8(ascii: "/"), cursor + 1 < bytes.count else { return position }
                if bytes[cursor + 1] == UInt8(ascii: "/") {
                    while cursor < bytes.count && bytes[cursor] != 0x0A { cursor += 1 }
                    if cursor > 0 && cursor < bytes.count && bytes[cursor - 1] == 0x0D { cursor -= 1 }
                    return cursor
                }
                guard bytes[cursor + 1] == UInt8(ascii: "*") else { return position }
                cursor += 2
                while cursor + 1 < bytes.count
                    && !(bytes[cursor] == UInt8(ascii: "*") && bytes[cursor + 1] == UInt8(ascii: "/"))
                {
                    cursor += 1
                }
                position = min(cursor + 2, bytes.count)
            }
        }

        /// Multi-line rendering: objects one member per line, arrays of scalars on one line.
        func render(_ value: JSONCValue, indent: String) -> String {
            switch value {
            case .object(let members) where !members.isEmpty:
                let inner = indent + unit
                let lines = members.map { inner + compact(.string($0.key)) + ": " + render($0.value, indent: inner) }
                return "{" + newline + lines.joined(separator: "," + newline) + newline + indent + "}"
            case .array(let items) where items.contains(where: \.isContainer):
                let inner = indent + unit
                let lines = items.map { inner + render($0, indent: inner) }
                return "[" + newline + lines.joined(separator: "," + newline) + newline + indent + "]"
            default:
                return compact(value)
            }
        }

        /// Single-line rendering, as `JSON.stringify` with spaces after `:` and `,`.
        func compact(_ value: JSONCValue) -> String {
            switch value {
            case .string(let string): Self.quote(string)
            case .number(let text): text
            case .bool(let flag): flag ? "true" : "false"
            case .null: "null"
            case .array(let items): "[" + items.map(compact).joined(separator: ", ") + "]"
            case .object(let members):
                "{" + members.map { Self.quote($0.key) + ": " + compact($0.value) }.joined(separator: ", ") + "}"
            }
        }

        static func quote(_ string: String) -> String {
            var result = "\""
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": result += "\\\""
                case "\\": result += "\\\\"
                case "\n": result += "\\n"
                case "\r": result += "\\r"
                case "\t": result += "\\t"
                case "\u{08}": result += "\\b"
                case "\u{0C}": result += "\\f"
                case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result + "\""
        }
    }
}

extension JSONCValue {
    fileprivate var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }
}
