import Foundation
import JunctionCore
import Testing

@testable import JunctionStore

@Suite("CatalogRepository")
struct CatalogRepositoryTests {
    let store: TestStore
    let server: Downstream

    init() throws {
        store = try TestStore()
        server = try store.server("gh")
    }

    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)
    static let t1 = Date(timeIntervalSince1970: 1_700_000_600)

    /// A tool as a downstream would list it; `extra` lands in the raw JSON only.
    static func tool(
        _ name: String, description: String? = nil, title: String? = nil, extra: String = ""
    ) -> CatalogRepository.Discovered {
        let schema = #"{"type":"object","properties":{"q":{"type":"string"}}}"#
        var raw = #"{"name":"\#(name)","inputSchema":\#(schema)"#
        if let description { raw += #","description":"\#(description)""# }
        if let title { raw += #","title":"\#(title)""# }
        raw += extra + "}"
        return .init(name: name, title: title, description: description, inputSchema: schema, raw: raw)
    }

    @Test("a first discovery adds every entry with its hash and times")
    func firstDiscovery() throws {
        let entries = [Self.tool("search", description: "Find things"), Self.tool("create_issue")]
        let change = try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: entries, at: Self.t0)
        #expect(change == CatalogChange(added: ["create_issue", "search"]))
        #expect(!change.isEmpty)

        let listed = try store.catalog.list(downstreamId: server.id, kind: .tool)
        #expect(listed.map(\.name) == ["create_issue", "search"])
        let search = try #require(listed.last)
        #expect(search.downstreamId == server.id && search.kind == .tool)
        #expect(search.description == "Find things" && search.title == nil)
        #expect(search.inputSchema == entries[0].inputSchema && search.outputSchema == nil && search.annotations == nil)
        #expect(search.raw == entries[0].raw)
        #expect(search.sha256 == CatalogRepository.sha256(entries[0].raw) && search.sha256.count == 64)
        #expect(search.firstSeen == Self.t0 && search.lastSeen == Self.t0)
    }

    @Test("hashes are lowercase hex SHA-256 of the UTF-8 text")
    func hashes() {
        #expect(CatalogRepository.sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(CatalogRepository.sha256("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("a refresh reports added, removed and changed names and keeps first_seen of kept entries")
    func refresh() throws {
        try store.catalog.replace(
            downstreamId: server.id, kind: .tool,
            entries: [Self.tool("keep"), Self.tool("edit", description: "old"), Self.tool("drop")], at: Self.t0)
        let before = try #require(try store.catalog.find(downstreamId: server.id, kind: .tool, name: "keep"))

        let change = try store.catalog.replace(
            downstreamId: server.id, kind: .tool,
            entries: [Self.tool("keep"), Self.tool("edit", description: "new"), Self.tool("fresh")], at: Self.t1)
        #expect(change == CatalogChange(added: ["fresh"], removed: ["drop"], changed: ["edit"]))

        let listed = try store.catalog.list(downstreamId: server.id)
        #expect(listed.map(\.name) == ["edit", "fresh", "keep"])
        let keep = try #require(listed.first { $0.name == "keep" })
        #expect(keep.id == before.id && keep.sha256 == before.sha256)
        #expect(keep.firstSeen == Self.t0 && keep.lastSeen == Self.t1)
        let edit = try #require(listed.first { $0.name == "edit" })
        #expect(edit.description == "new" && edit.firstSeen == Self.t0 && edit.lastSeen == Self.t1)
        let fresh = try #require(listed.first { $0.name == "fresh" })
        #expect(fresh.firstSeen == Self.t1)
    }

    @Test("the same list again changes nothing but last_seen")
    func unchanged() throws {
        let entries = [Self.tool("a"), Self.tool("b")]
        try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: entries, at: Self.t0)
        let change = try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: entries, at: Self.t1)
        #expect(change.isEmpty)
        #expect(try store.catalog.list().allSatisfy { $0.firstSeen == Self.t0 && $0.lastSeen == Self.t1 })
    }

    @Test("a change only in fields Junction does not read is still a change (the raw JSON differs)")
    func rawOnlyChange() throws {
        try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: [Self.tool("a")])
        let change = try store.catalog.replace(
            downstreamId: server.id, kind: .tool, entries: [Self.tool("a", extra: #","_meta":{"v":2}"#)])
        #expect(change == CatalogChange(changed: ["a"]))
        #expect(try store.catalog.list().first?.raw.contains(#""_meta":{"v":2}"#) == true)
    }

    @Test("an empty list removes everything of that server and kind, and nothing else")
    func scopedToServerAndKind() throws {
        let other = try store.server("fs")
        try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: [Self.tool("a"), Self.tool("b")])
        try store.catalog.replace(
            downstreamId: server.id, kind: .prompt, entries: [.init(name: "a", raw: #"{"name":"a"}"#)])
        try store.catalog.replace(downstreamId: other.id, kind: .tool, entries: [Self.tool("a")])

        let change = try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: [])
        #expect(change == CatalogChange(removed: ["a", "b"]))
        #expect(try store.catalog.list(downstreamId: server.id).map(\.kind) == [.prompt])
        #expect(try store.catalog.list(kind: .tool).map(\.downstreamId) == [other.id])
        #expect(try store.catalog.list().count == 2)
    }

    @Test("every kind is stored, including resource templates")
    func kinds() throws {
        for kind in CatalogEntry.Kind.allCases {
            try store.catalog.replace(
                downstreamId: server.id, kind: kind, entries: [.init(name: "x-\(kind.rawValue)", raw: "{}")])
        }
        #expect(try store.catalog.list().map(\.kind) == [.prompt, .resource, .resourceTemplate, .tool])
        #expect(try store.catalog.list(kind: .resourceTemplate).map(\.name) == ["x-resource_template"])
    }

    @Test("when a name is listed twice, the last one wins")
    func duplicateNames() throws {
        let change = try store.catalog.replace(
            downstreamId: server.id, kind: .tool,
            entries: [Self.tool("a", description: "first"), Self.tool("a", description: "second")])
        #expect(change == CatalogChange(added: ["a"]))
        #expect(try store.catalog.list().map(\.description) == ["second"])
    }

    @Test("an unknown server is refused")
    func unknownServer() throws {
        #expect(throws: StoreError.notFound(kind: "server", key: "nope")) {
            try store.catalog.replace(downstreamId: "nope", kind: .tool, entries: [Self.tool("a")])
        }
    }

    @Test("invalid JSON or an empty name is refused and nothing is written")
    func invalidEntries() throws {
        try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: [Self.tool("kept")])
        expectInvalid("input_schema", "tool 'a'", "not valid JSON") {
            try store.catalog.replace(
                downstreamId: server.id, kind: .tool,
                entries: [Self.tool("b"), .init(name: "a", inputSchema: "{", raw: "{}")])
        }
        expectInvalid("raw", "not valid JSON") {
            try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: [.init(name: "a", raw: "nope")])
        }
        expectInvalid("annotations") {
            try store.catalog.replace(
                downstreamId: server.id, kind: .tool, entries: [.init(name: "a", annotations: "[1,", raw: "{}")])
        }
        expectInvalid("name", "needs a name") {
            try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: [.init(name: "", raw: "{}")])
        }
        #expect(try store.catalog.list().map(\.name) == ["kept"])
    }

    @Test("search finds tools by name, title or description ignoring case, best matches first")
    func search() throws {
        let other = try store.server("fs")
        try store.catalog.replace(
            downstreamId: server.id, kind: .tool,
            entries: [
                Self.tool("list_issues", description: "List issues of a repository"),
                Self.tool("create_issue", description: "Open an issue"),
                Self.tool("get_file", description: "Read a file from a repository"),
                Self.tool("search_code", title: "Issue finder"),
                Self.tool("merge", description: "Merge a pull request"),
            ])
        try store.catalog.replace(
            downstreamId: other.id, kind: .tool, entries: [Self.tool("Issue_Report", description: "x")])
        try store.catalog.replace(
            downstreamId: server.id, kind: .prompt,
            entries: [.init(name: "issue_prompt", description: "issue", raw: "{}")])

        let results = try store.catalog.search(query: "ISSUE")
        #expect(results.map(\.name) == ["Issue_Report", "create_issue", "list_issues", "search_code"])
        #expect(results.first?.downstreamId == other.id)

        #expect(try store.catalog.search(query: "repository").map(\.name) == ["get_file", "list_issues"])
        #expect(try store.catalog.search(query: "  Merge ").map(\.name) == ["merge"])
        #expect(try store.catalog.search(query: "nothing-like-this").isEmpty)
        #expect(try store.catalog.search(query: "issue", limit: 2).map(\.name) == ["Issue_Report", "create_issue"])
        #expect(try store.catalog.search(query: "issue", limit: 0).isEmpty)
        #expect(try store.catalog.search(query: "").count == 6)
        #expect(try store.catalog.search(query: "").first?.name == "Issue_Report")
        // Whole rows come back, schemas included.
        #expect(results.allSatisfy { $0.inputSchema != nil && !$0.raw.isEmpty })
    }

    @Test("search matches non-ASCII text without regard to case")
    func searchUnicode() throws {
        try store.catalog.replace(
            downstreamId: server.id, kind: .tool,
            entries: [.init(name: "übersetzen", description: "Übersetzt ÄRGER", raw: "{}")])
        #expect(try store.catalog.search(query: "ÜBER").map(\.name) == ["übersetzen"])
        #expect(try store.catalog.search(query: "ärger").map(\.name) == ["übersetzen"])
    }

    @Test("delete removes one server's entries of every kind; deleting the server cascades")
    func delete() throws {
        let other = try store.server("fs")
        try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: [Self.tool("a"), Self.tool("b")])
        try store.catalog.replace(downstreamId: server.id, kind: .resource, entries: [.init(name: "r", raw: "{}")])
        try store.catalog.replace(downstreamId: other.id, kind: .tool, entries: [Self.tool("c")])

        #expect(try store.catalog.delete(downstreamId: server.id) == 3)
        #expect(try store.catalog.delete(downstreamId: server.id) == 0)
        #expect(try store.catalog.list().map(\.name) == ["c"])

        try store.downstreams.delete("fs")
        #expect(try store.catalog.list().isEmpty)
    }

    @Test("catalog writes do not bump the configuration generation")
    func noGenerationBump() throws {
        let before = try store.database.generation()
        try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: [Self.tool("a")])
        try store.catalog.replace(downstreamId: server.id, kind: .tool, entries: [])
        try store.catalog.delete(downstreamId: server.id)
        #expect(try store.database.generation() == before)
    }

    @Test("a row stored without raw JSON is rebuilt from its columns")
    func missingRaw() throws {
        try store.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO tool_catalog (id, downstream_id, name, description, input_schema, sha256, first_seen,
                        last_seen)
                    VALUES ('c1', ?, 'legacy', 'say "hi"', '{"type":"object"}', 'x', '2025-01-01', '2025-01-01')
                    """, arguments: [server.id])
        }
        let entry = try #require(try store.catalog.list().first)
        #expect(entry.raw == #"{"name":"legacy","description":"say \"hi\"","inputSchema":{"type":"object"}}"#)
    }

    @Test("JSON encoding writes every key, server_id, and the JSON fields as JSON rather than strings")
    func encoding() throws {
        let entry = CatalogEntry(
            id: "c1", downstreamId: "d1", kind: .resourceTemplate, name: "file:///{path}",
            inputSchema: #"{"type":"object"}"#, annotations: "not json", raw: #"{"uriTemplate":"file:///{path}"}"#,
            sha256: "ab", firstSeen: Self.t0, lastSeen: Self.t1)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        let json = String(decoding: try encoder.encode(entry), as: UTF8.self)
        #expect(
            json == #"{"annotations":null,"description":null,"first_seen":1700000000,"id":"c1","#
                + #""input_schema":{"type":"object"},"kind":"resource_template","last_seen":1700000600,"#
                + #""name":"file:///{path}","output_schema":null,"raw":{"uriTemplate":"file:///{path}"},"#
                + #""server_id":"d1","sha256":"ab","title":null}"#)
    }
}
