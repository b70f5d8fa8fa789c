import JunctionCore

/// One `tools/list` listing cut into the pages a client fetches with `nextCursor`: each page holds
/// at most `maxTools` tools and, past its first tool, at most `maxBytes` of them, so thousands of
/// tools are a few messages and none is huge. A cursor is the offset of its page's first tool; the
/// pages that start from the beginning are built once, with the listing.
struct ToolPages: Sendable {
    /// Tools per page at most: 5,000 tools are two messages.
    static let maxTools = 2_500
    /// Bytes of tools per page at most (a page always holds at least one tool).
    static let maxBytes = 4 << 20

    /// Every tool of the listing, in order.
    let tools: [RawJSON]
    let maxTools: Int
    let maxBytes: Int
    /// The `tools/list` results of the pages from the start, by the offset each starts at.
    private let built: [Int: RawJSON]

    init(_ tools: [RawJSON], maxTools: Int = Self.maxTools, maxBytes: Int = Self.maxBytes) {
        self.tools = tools
        self.maxTools = max(1, maxTools)
        self.maxBytes = maxBytes
        var built: [Int: RawJSON] = [:]
        var start = 0
        repeat {
            let end = Self.end(of: tools, from: start, maxTools: self.maxTools, maxBytes: maxBytes)
            built[start] = Self.result(tools, start..<end)
            start = end
        } while start < tools.count
        self.built = built
    }

    /// The `tools/list` result of the page starting at `offset` (empty at the end of the listing),
    /// or nil when the offset is outside the listing.
    func page(at offset: Int) -> RawJSON? {
        guard offset >= 0, offset <= tools.count else { return nil }
        if let page = built[offset] { return page }
        return Self.result(tools, offset..<Self.end(of: tools, from: offset, maxTools: maxTools, maxBytes: maxBytes))
    }

    /// The `tools/list` result of the page a cursor names, or nil when it names none.
    func page(cursor: RawJSON?) -> RawJSON? {
        guard let cursor else { return page(at: 0) }
        guard let text = cursor.stringValue, let offset = Int(text) else { return nil }
        return page(at: offset)
    }

    /// Where the page starting at `start` ends: at `maxTools` tools, or before the tool that would
    /// take it past `maxBytes`.
    static func end(of tools: [RawJSON], from start: Int, maxTools: Int, maxBytes: Int) -> Int {
        var end = start
        var bytes = 0
        while end < tools.count, end - start < maxTools {
            bytes += tools[end].bytes.count
            if end > start, bytes > maxBytes { break }
            end += 1
        }
        return end
    }

    private static func result(_ tools: [RawJSON], _ range: Range<Int>) -> RawJSON {
        var members: [(key: String, value: RawJSON)] = [("tools", RawJSON(array: Array(tools[range])))]
        if range.upperBound < tools.count { members.append(("nextCursor", RawJSON(string: String(range.upperBound)))) }
        return RawJSON(object: members)
    }
}
