import JunctionCore
import Testing

@Suite("Downstream tags as a list")
struct DownstreamTagsTests {
    @Test("keys with empty values are listed alone, others as key:value, sorted")
    func listForm() {
        let server = Downstream(name: "db", command: "db-mcp", tags: ["env": "production", "database": ""])
        #expect(server.tagList == ["database", "env:production"])
        #expect(Downstream(name: "x", command: "x").tagList == [])
    }

    @Test("a tag matches a key with any value, or a key:value entry exactly")
    func matching() {
        let server = Downstream(name: "db", command: "db-mcp", tags: ["env": "production", "database": ""])
        #expect(server.hasTag("database"))
        #expect(server.hasTag("env"))
        #expect(server.hasTag("env:production"))
        #expect(!server.hasTag("env:staging"))
        #expect(!server.hasTag("production"))
        #expect(!server.hasTag("database:yes"))
    }

    @Test("the list form reads back into the same map, values with colons included")
    func roundTrip() {
        let tags = ["database": "", "env": "production", "url": "http://x:1"]
        let server = Downstream(name: "db", command: "db-mcp", tags: tags)
        #expect(Downstream.tags(fromList: server.tagList) == tags)
    }
}
