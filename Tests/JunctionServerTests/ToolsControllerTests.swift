import Foundation
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("ToolsController")
struct ToolsControllerTests {
    private func tool(_ name: String, _ description: String, parameters: [String] = []) -> CatalogRepository.Discovered
    {
        let properties = parameters.map { #""\#($0)":{"type":"string"}"# }.joined(separator: ",")
        let schema = #"{"type":"object","properties":{\#(properties)}}"#
        return .init(
            name: name, description: description, inputSchema: schema,
            raw: #"{"name":"\#(name)","description":"\#(description)","inputSchema":\#(schema)}"#)
    }

    @Test("q searches with BM25 in MCPProxy's shape; the index follows catalog changes")
    func bm25Search() async throws {
        let harness = try APIHarness()
        let github = try DownstreamRepository(harness.database).create(
            Downstream(name: "github", namespace: "github", command: "github-mcp"))
        let files = try DownstreamRepository(harness.database).create(
            Downstream(name: "files", namespace: "fs", command: "fs-mcp"))
        let catalog = CatalogRepository(harness.database)
        try catalog.replace(
            downstreamId: github.id, kind: .tool,
            entries: [
                tool("create_issue", "Create a new issue in a repository", parameters: ["owner", "repo", "title"]),
                tool("list_issues", "List issues in a repository", parameters: ["owner", "repo", "state"]),
                tool("merge_pull_request", "Merge a pull request", parameters: ["pull_number"]),
            ])
        try catalog.replace(
            downstreamId: files.id, kind: .tool,
            entries: [tool("read_file", "Read the contents of a file", parameters: ["path"])])
        try await harness.test { client in
            let json = try await client.get("/api/v1/tools?q=open+a+new%20issue").json()
            let tools = try #require(json["tools"] as? [[String: Any]])
            #expect(tools.first?["name"] as? String == "github__create_issue")
            #expect(tools.first?["server"] as? String == "github")
            #expect(tools.first?["tool_name"] as? String == "create_issue")
            #expect((tools.first?["score"] as? Double ?? 0) > 0)
            #expect(json["query"] as? String == "open a new issue")

            let exact = try #require(
                try await client.get("/api/v1/tools?q=github__list_issues").json()["tools"] as? [[String: Any]])
            #expect(exact.first?["name"] as? String == "github__list_issues")
            let limited = try await client.get("/api/v1/tools?q=issue&limit=1").json()["tools"] as? [Any]
            #expect(limited?.count == 1)
            #expect(try await client.get("/api/v1/tools?q=issue&limit=0").status == .badRequest)
            #expect((try await client.get("/api/v1/tools?q=zyzzyva").json()["tools"] as? [Any])?.isEmpty == true)

            // A changed catalog is searched as it is now.
            try catalog.replace(
                downstreamId: files.id, kind: .tool,
                entries: [tool("read_file", "Read the contents of a file"), tool("zyzzyva", "A rare word")])
            let rare = try #require(try await client.get("/api/v1/tools?q=zyzzyva").json()["tools"] as? [[String: Any]])
            #expect(rare.map { $0["name"] as? String } == ["fs__zyzzyva"])
        }
    }

    @Test("a workspace's slim_tools is set, cleared (null) and checked over REST")
    func workspaceSlimTools() async throws {
        let harness = try APIHarness()
        let root = harness.directory.file("slim")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try await harness.test { client in
            let created = try await client.post(
                "/api/v1/workspaces", #"{"name": "slim", "root_path": "\#(root)", "slim_tools": true}"#)
            #expect(created.status == .created)
            #expect(try created.json()["slim_tools"] as? Bool == true)
            let kept = try await client.put("/api/v1/workspaces/slim", #"{"default_policy": "deny"}"#)
            #expect(try kept.json()["slim_tools"] as? Bool == true)
            let cleared = try await client.put("/api/v1/workspaces/slim", #"{"slim_tools": null}"#)
            #expect(cleared.status == .ok)
            #expect(try cleared.json()["slim_tools"] == nil)
            #expect(try WorkspaceRepository(harness.database).get("slim").slimTools == nil)
            let refused = try await client.put("/api/v1/workspaces/slim", #"{"slim_tools": "yes"}"#)
            #expect(refused.status == .badRequest)
        }
    }

    @Test("settings list the built-in tools' default descriptions")
    func builtInDescriptions() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let json = try await client.get("/api/v1/settings").json()
            let descriptions = try #require(json["default_tool_descriptions"] as? [String: String])
            #expect(Set(descriptions.keys) == ["junction__search_tools", "junction__call_tool"])
            let settings = try #require(json["settings"] as? [String: Any])
            #expect(settings["slim_tools"] as? Bool == false)
            #expect(settings["tool_description_overrides"] as? [String: Any] != nil)
            let refused = try await client.put("/api/v1/settings", #"{"tool_description_overrides": {"a": 1}}"#)
            #expect(refused.status == .badRequest)
        }
    }
}
