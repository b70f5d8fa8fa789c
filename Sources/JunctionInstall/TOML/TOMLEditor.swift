/// Text-preserving edits of the `[mcp_servers.NAME]` tables of a TOML file (Codex's config.toml):
/// only the statements of that table change; other tables, keys, comments and blank lines stay.
struct TOMLEditor: Sendable {
    private(set) var bytes: [UInt8]
    /// The table holding the servers.
    let root: [String]

    init(_ bytes: [UInt8], root: [String] = ["mcp_servers"]) {
        self.bytes = bytes
        self.root = root
    }

    /// Each server table in file order with its keys gathered (subtables and dotted keys included).
    func servers() throws(SyntaxError) -> [(name: String, value: TOMLValue)] {
        let document = try TOMLDocument(bytes)
        var order: [String] = []
        var pairs: [String: [(key: [String], value: TOMLValue)]] = [:]
        func add(_ name: String, _ key: [String], _ value: TOMLValue) {
            if pairs[name] == nil { order.append(name) }
            pairs[name, default: []].append((key, value))
        }
        for statement in document.statements {
            switch statement.kind {
            case .table(let path, _) where path.count > root.count && Array(path.prefix(root.count)) == root:
                let name = path[root.count]
                if pairs[name] == nil {
                    order.append(name)
                    pairs[name] = []
                }
            case .keyValue(let table, let key, let value, _):
                let full = table + key
                guard full.count > root.count, Array(full.prefix(root.count)) == root else { continue }
                let name = full[root.count]
                if full.count == root.count + 1 {
                    if case .table(let members) = value {
                        for member in members { add(name, [member.key], member.value) }
                    }
                } else {
                    add(name, Array(full.dropFirst(root.count + 1)), value)
                }
            default:
                continue
            }
        }
        return order.map { name in (name, .table(TOMLValue.nest(pairs[name] ?? []))) }
    }

    /// Sets `command` and `args` (the keys of `entry`) in `[root.name]`, appending the table when it
    /// is missing. Other keys of the table stay. Returns whether anything changed.
    @discardableResult
    mutating func set(_ entry: [(key: String, value: TOMLValue)], name: String) throws(SyntaxError) -> Bool {
        let document = try TOMLDocument(bytes)
        let path = root + [name]
        let newline = document.newline
        guard let header = document.statements.firstIndex(where: { $0.tablePath == path }) else {
            if let inline = document.statements.first(where: { statement in
                if case .keyValue(let table, let key, _, _) = statement.kind {
                    let full = table + key
                    return full.count > path.count - 1 && Array(full.prefix(path.count)) == path
                }
                return false
            }) {
                throw SyntaxError(
                    "'\(path.joined(separator: "."))' is written inline; Junction edits only a [\(path.joined(separator: "."))] table",
                    at: inline.range.lowerBound)
            }
            var text = bytes
            if !text.isEmpty {
                if text.last != 0x0A { text += Array(newline.utf8) }
                text += Array(newline.utf8)
            }
            var block = "[" + Self.renderKey(path) + "]" + newline
            for (key, value) in entry { block += Self.renderKey([key]) + " = " + Self.render(value) + newline }
            bytes = text + Array(block.utf8)
            return true
        }
        // The table's own statements: up to the next header.
        var end = header + 1
        while end < document.statements.count, document.statements[end].tablePath == nil { end += 1 }
        var edits: [(Range<Int>, [UInt8])] = []
        var missing: [String] = []
        for (key, value) in entry {
            let found = document.statements[(header + 1)..<end].last { statement in
                if case .keyValue(_, let statementKey, _, _) = statement.kind { return statementKey == [key] }
                return false
            }
            guard let found, case .keyValue(_, _, let current, let valueRange) = found.kind else {
                missing.append(Self.renderKey([key]) + " = " + Self.render(value) + newline)
                continue
            }
            if current != value { edits.append((valueRange, Array(Self.render(value).utf8))) }
        }
        if !missing.isEmpty {
            // After the table's last key (or its header), so trailing comments and blanks stay last.
            var anchor = header
            for index in (header + 1)..<end {
                if case .keyValue = document.statements[index].kind { anchor = index }
            }
            var position = document.statements[anchor].range.upperBound
            var prefix = ""
            if position == bytes.count && bytes.last != 0x0A {
                prefix = newline
            }
            position = min(position, bytes.count)
            edits.append((position..<position, Array((prefix + missing.joined()).utf8)))
        }
        guard !edits.isEmpty else { return false }
        for (range, text) in edits.sorted(by: { $0.0.lowerBound > $1.0.lowerBound }) {
            bytes.replaceSubrange(range, with: text)
        }
        return true
    }

    /// Removes `[root.name]` with its subtables and the blank line that separated it from what
    /// precedes (when a blank line or the end of the file follows). Returns false when it is absent.
    @discardableResult
    mutating func remove(name: String) throws(SyntaxError) -> Bool {
        let document = try TOMLDocument(bytes)
        let path = root + [name]
        let statements = document.statements
        var ranges: [Range<Int>] = []
        var index = 0
        while index < statements.count {
            let statement = statements[index]
            if let tablePath = statement.tablePath, tablePath.count >= path.count,
                Array(tablePath.prefix(path.count)) == path
            {
                var last = index
                var cursor = index + 1
                while cursor < statements.count, statements[cursor].tablePath == nil {
                    if case .keyValue = statements[cursor].kind { last = cursor }
                    cursor += 1
                }
                var range = statement.range.lowerBound..<statements[last].range.upperBound
                // A blank line before the table goes too when a blank line (or the end of the file)
                // follows it, so the tables around it keep one blank line between them.
                let blankAfter = last + 1 == statements.count || Self.isBlank(statements[last + 1], document.bytes)
                if blankAfter, index > 0, Self.isBlank(statements[index - 1], document.bytes) {
                    range = statements[index - 1].range.lowerBound..<range.upperBound
                }
                ranges.append(range)
                index = cursor
                continue
            }
            if case .keyValue(let table, let key, _, _) = statement.kind {
                let full = table + key
                if full.count >= path.count && Array(full.prefix(path.count)) == path && table.count < path.count {
                    ranges.append(statement.range)
                }
            }
            index += 1
        }
        guard !ranges.isEmpty else { return false }
        for range in ranges.sorted(by: { $0.lowerBound > $1.lowerBound }) {
            bytes.removeSubrange(range)
        }
        return true
    }

    private static func isBlank(_ statement: TOMLDocument.Statement, _ bytes: [UInt8]) -> Bool {
        guard case .trivia = statement.kind else { return false }
        return bytes[statement.range].allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
    }

    static func renderKey(_ path: [String]) -> String {
        path.map { part in
            !part.isEmpty
                && part.utf8.allSatisfy { byte in
                    (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
                        || byte == UInt8(ascii: "-")
                } ? part : quote(part)
        }.joined(separator: ".")
    }

    static func render(_ value: TOMLValue) -> String {
        switch value {
        case .string(let string): quote(string)
        case .array(let items): "[" + items.map(render).joined(separator: ", ") + "]"
        case .table(let members):
            members.isEmpty
                ? "{}"
                : "{ " + members.map { renderKey([$0.key]) + " = " + render($0.value) }.joined(separator: ", ") + " }"
        case .other(let text): text
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
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
