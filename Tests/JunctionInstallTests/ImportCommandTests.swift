import Foundation
import Testing

@testable import JunctionInstall

@Suite("junction import")
struct ImportCommandTests {
    let sandbox: InstallSandbox

    init() throws {
        sandbox = try InstallSandbox()
    }

    static let secret = "ghp_IMPORT-S3CRET-41"

    static let cursor = """
        {
          // servers before Junction
          "mcpServers": {
            "github (work)": {"command": "github-mcp-server", "args": ["stdio"], "env": {"GITHUB_TOKEN": "\(secret)"}},
            "time": {"command": "uvx", "args": ["mcp-server-time"]},
            "docs": {"url": "https://docs.example.com/mcp", "headers": {"Authorization": "Bearer x"}},
            "broken": {"args": ["no command"]},
            "bad-env": {"command": "x", "env": {"1BAD": "v"}}
          },
          "other": true
        }

        """

    func servers() throws -> [[String: Any]] {
        try #require(try sandbox.json(["server", "list", "--json"]) as? [[String: Any]])
    }

    @Test("--dry-run reports the plan and writes nothing")
    func dryRun() throws {
        try sandbox.write(".cursor/mcp.json", Self.cursor)
        let report = try #require(try sandbox.json(["import", "cursor", "--dry-run", "--json"]) as? [String: Any])
        #expect(report["dry_run"] as? Bool == true)
        let imported = try #require(report["imported"] as? [[String: Any]])
        #expect(imported.map { $0["name"] as? String } == ["github--work-", "time", "docs"])
        #expect(
            (report["skipped"] as? [[String: Any]])?.compactMap { $0["source"] as? String } == ["broken", "bad-env"])
        #expect(try servers().isEmpty)
        #expect(try sandbox.read(".cursor/mcp.json") == Self.cursor)
        #expect(!sandbox.exists(".junction/secret.key"))
        let replace = try sandbox.ok(["import", "cursor", "--dry-run", "--replace"])
        #expect(replace.contains("Would import 3 server(s)") && replace.contains("-    \"time\""))
        #expect(try sandbox.read(".cursor/mcp.json") == Self.cursor)
        #expect(try servers().isEmpty)
    }

    @Test("import creates servers, sealed env scopes and routes; skipped entries say why")
    func importServers() throws {
        try sandbox.write(".cursor/mcp.json", Self.cursor)
        try sandbox.ok(["server", "add", "time", "--", "other-time"])
        let output = try sandbox.ok(["import", "cursor"])
        #expect(output.contains("Imported 3 server(s)"))
        #expect(output.contains("broken: it has neither a command nor a url"))
        #expect(output.contains("bad-env: env: invalid variable name '1BAD'"))
        #expect(!output.contains(Self.secret))

        let byName = Dictionary(uniqueKeysWithValues: try servers().map { ($0["name"] as? String ?? "", $0) })
        #expect(byName["time-2"]?["namespace"] as? String == "time-2", "de-duplicated against the existing 'time'")
        #expect(byName["time-2"]?["args"] as? [String] == ["mcp-server-time"])
        let github = try #require(byName["github--work-"])
        #expect(
            github["command"] as? String == "github-mcp-server" && (github["env"] as? [String: String])?.isEmpty == true
        )
        #expect(byName["docs"]?["transport"] as? String == "http")
        #expect(byName["docs"]?["url"] as? String == "https://docs.example.com/mcp")

        let scope = try #require(try sandbox.json(["scope", "show", "github--work--env", "--json"]) as? [String: Any])
        #expect(scope["env_keys"] as? [String] == ["GITHUB_TOKEN"])
        let docsScope = try #require(try sandbox.json(["scope", "show", "docs-env", "--json"]) as? [String: Any])
        #expect(docsScope["header_keys"] as? [String] == ["Authorization"])
        let routes = try #require(try sandbox.json(["route", "list", "--json"]) as? [[String: Any]])
        #expect(Set(routes.compactMap { $0["tool_pattern"] as? String }) == ["github--work-__*", "docs__*"])
        #expect(routes.allSatisfy { $0["workspace_id"] is NSNull && $0["auth_scope_id"] is String })
        // The secret is sealed: not in the database file in clear.
        let database = try Data(contentsOf: URL(fileURLWithPath: sandbox.path(".junction/junction.db")))
        #expect(database.range(of: Data(Self.secret.utf8)) == nil)
        #expect(try sandbox.read(".cursor/mcp.json") == Self.cursor, "without --replace the client file stays")
        #expect(try sandbox.backups(of: ".cursor/mcp.json").isEmpty)

        // Importing again de-duplicates once more rather than failing.
        let again = try #require(try sandbox.json(["import", "cursor", "--json"]) as? [String: Any])
        #expect(
            (again["imported"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == [
                "github--work--2", "time-3", "docs-2",
            ])
    }

    @Test("a URL entry's type becomes the server's HTTP transport")
    func httpTransport() throws {
        try sandbox.write(
            ".cursor/mcp.json",
            """
            {"mcpServers": {
              "legacy": {"type": "sse", "url": "https://a.example.com/sse"},
              "modern": {"type": "http", "url": "https://b.example.com/mcp"},
              "spelled": {"type": "streamable_http", "url": "https://c.example.com/mcp"},
              "plain": {"url": "https://d.example.com/mcp"}
            }}
            """)
        try sandbox.ok(["import", "cursor"])
        let flavours = Dictionary(
            uniqueKeysWithValues: try servers().map { ($0["name"] as? String ?? "", $0["http_transport"] as? String) })
        #expect(
            flavours == [
                "legacy": "sse", "modern": "streamable-http", "spelled": "streamable-http", "plain": "auto",
            ])
    }

    @Test("--replace installs Junction and removes the imported entries in one write")
    func replace() throws {
        try sandbox.write(".cursor/mcp.json", Self.cursor, mode: 0o600)
        let output = try sandbox.ok(["import", "cursor", "--replace"])
        #expect(output.contains("Installed Junction in Cursor"))
        let text = try sandbox.read(".cursor/mcp.json")
        let remaining = try ConfigEditor(client: Client(.cursor), path: "", bytes: Array(text.utf8)).servers()
        #expect(remaining.map(\.key) == ["broken", "bad-env", "junction"], "skipped entries stay")
        #expect(text.hasPrefix("{\n  // servers before Junction\n  \"mcpServers\": {\n    \"broken\""))
        #expect(text.hasSuffix("  },\n  \"other\": true\n}\n"))
        let backups = try sandbox.backups(of: ".cursor/mcp.json")
        #expect(backups.count == 1)
        #expect(try sandbox.read(backups[0]) == Self.cursor)
        #expect(try sandbox.mode(".cursor/mcp.json") == 0o600)
        #expect(try servers().count == 3)
        // Nothing left to import: Junction's own entry is never imported.
        let again = try sandbox.ok(["import", "cursor"])
        #expect(again.contains("Imported 0 server(s)") && again.contains("Skipped 2"))
    }

    @Test("Codex tables are imported and removed with their env subtables")
    func codex() throws {
        let (relative, original) = Fixtures.config(.codex)
        try sandbox.write(relative, original)
        try sandbox.ok(["import", "codex", "--replace"])
        let text = try sandbox.read(relative)
        #expect(!text.contains("mcp_servers.git") && text.contains("[mcp_servers.junction]"))
        #expect(text.hasPrefix("# Codex ✓\nmodel = \"o3\"\n\n[profiles.fast]\nmodel = \"o4-mini\"\n"))
        let scope = try #require(try sandbox.json(["scope", "show", "git-env", "--json"]) as? [String: Any])
        #expect(scope["env_keys"] as? [String] == ["GIT_TOKEN"])
    }

    @Test("every client's fixture imports", arguments: ClientID.allCases)
    func everyClient(_ id: ClientID) throws {
        let (relative, original) = Fixtures.config(id)
        try sandbox.write(relative, original)
        let report = try #require(try sandbox.json(["import", id.rawValue, "--json"]) as? [String: Any])
        #expect((report["imported"] as? [[String: Any]])?.isEmpty == false, "\(report)")
        #expect((report["skipped"] as? [[String: Any]])?.isEmpty == true, "\(report)")
        #expect(try sandbox.read(relative) == original)
    }
}
