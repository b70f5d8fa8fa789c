import JunctionCore
import Testing

@testable import JunctionGateway

@Suite("Tool listing pages and the routed listing cache")
struct ToolPagesTests {
    private static func tools(_ count: Int, padding: Int = 0) -> [RawJSON] {
        (0..<count).map { index in
            RawJSON(object: [
                ("name", RawJSON(string: "ns__tool_\(index)")),
                ("description", RawJSON(string: String(repeating: "d", count: padding))),
            ])
        }
    }

    private static func names(_ page: RawJSON?) -> [String] {
        page?["tools"]?.elements?.compactMap { $0["name"]?.stringValue } ?? []
    }

    /// Every page from the first, following `nextCursor`.
    private static func walk(_ pages: ToolPages) -> [[String]] {
        var seen: [[String]] = []
        var cursor: RawJSON?
        repeat {
            let page = pages.page(cursor: cursor)
            seen.append(names(page))
            cursor = page?["nextCursor"]
        } while cursor != nil && seen.count <= pages.tools.count + 1
        return seen
    }

    @Test("5,000 tools are two pages that, followed by their cursors, hold every tool once, in order")
    func fiveThousand() {
        let tools = Self.tools(5_000)
        let pages = ToolPages(tools)
        let walked = Self.walk(pages)
        #expect(walked.map(\.count) == [2_500, 2_500])
        #expect(walked.flatMap { $0 } == tools.compactMap { $0["name"]?.stringValue })
        #expect(pages.page(at: 2_500)?["nextCursor"] == nil)
    }

    @Test("a page ends before the tool that would take it past the byte bound, and holds one tool at least")
    func byteBound() {
        // Each tool is about 1 KiB: three fit in 3.5 KiB, and one alone exceeds 512 bytes.
        let tools = Self.tools(10, padding: 1_000)
        #expect(Self.walk(ToolPages(tools, maxTools: 100, maxBytes: 3_500)).map(\.count) == [3, 3, 3, 1])
        #expect(
            Self.walk(ToolPages(tools, maxTools: 100, maxBytes: 512)).map(\.count) == Array(repeating: 1, count: 10))
        #expect(Self.walk(ToolPages(tools, maxTools: 4, maxBytes: 1 << 20)).map(\.count) == [4, 4, 2])
    }

    @Test("any offset inside the listing is a cursor; the end is an empty last page; others are refused")
    func cursors() {
        let tools = Self.tools(7)
        let pages = ToolPages(tools, maxTools: 3, maxBytes: 1 << 20)
        let fromTwo = pages.page(cursor: RawJSON(string: "2"))
        #expect(Self.names(fromTwo) == ["ns__tool_2", "ns__tool_3", "ns__tool_4"])
        #expect(fromTwo?["nextCursor"]?.stringValue == "5")
        let end = pages.page(cursor: RawJSON(string: "7"))
        #expect(end?["tools"]?.elements?.isEmpty == true && end?["nextCursor"] == nil)
        for refused in [RawJSON(string: "8"), RawJSON(string: "-1"), RawJSON(string: "x"), RawJSON(integer: 3)] {
            #expect(pages.page(cursor: refused) == nil, "\(refused)")
        }
    }

    @Test("an empty listing is one page with no tools and no cursor")
    func empty() {
        let page = ToolPages([]).page(cursor: nil)
        #expect(page?.description == #"{"tools":[]}"#)
    }

    @Test("a kept listing serves only the stamp it was made from, and the oldest target's goes past capacity")
    func cache() {
        let cache = RoutedToolListCache(capacity: 2)
        let stamp = RoutedToolListCache.Stamp(
            generation: 3, catalogs: [.init(downstreamId: "a", preparation: 1)], overrides: [:])
        let here = RoutedToolListCache.Key(target: .folder("/here"), onlyDownstream: nil)
        let list = RoutedToolList(tools: [], entries: [:])
        cache.store(list, for: here, stamp: stamp)
        #expect(cache.lookup(here, stamp: stamp) === list)
        var newer = stamp
        newer.generation = 4
        #expect(cache.lookup(here, stamp: newer) == nil)
        var recatalogued = stamp
        recatalogued.catalogs[0].preparation = 2
        #expect(cache.lookup(here, stamp: recatalogued) == nil)
        var overridden = stamp
        overridden.overrides = ["ns__tool": "Another description."]
        #expect(cache.lookup(here, stamp: overridden) == nil)
        #expect(cache.lookup(.init(target: .folder("/here"), onlyDownstream: "a"), stamp: stamp) == nil)

        cache.store(RoutedToolList(tools: [], entries: [:]), for: .init(target: .folder("/b")), stamp: stamp)
        cache.store(RoutedToolList(tools: [], entries: [:]), for: .init(target: .workspace("c")), stamp: stamp)
        #expect(cache.count == 2)
        #expect(cache.lookup(here, stamp: stamp) == nil)
        cache.removeAll()
        #expect(cache.count == 0)
    }

    @Test("a routed listing's pages are made once, with or without the built-in tools")
    func pagesMadeOnce() {
        let tool = (
            name: "ns__a", tool: RawJSON(object: [("name", RawJSON(string: "ns__a"))]),
            entry: GatewaySession.VisibleTool(downstreamId: "a", originalName: "a")
        )
        let list = RoutedToolList(tools: [tool], entries: ["ns__a": tool.entry])
        var made = 0
        let builtIn = RawJSON(object: [("name", RawJSON(string: "junction__search_tools"))])
        let first = list.pages {
            made += 1
            return [builtIn]
        }
        let again = list.pages {
            made += 1
            return [builtIn]
        }
        #expect(made == 1)
        #expect(Self.names(first.page(at: 0)) == ["ns__a", "junction__search_tools"])
        #expect(Self.names(again.page(at: 0)) == Self.names(first.page(at: 0)))
        #expect(Self.names(list.pages(builtIns: nil).page(at: 0)) == ["ns__a"])
    }
}
