import Testing

@testable import JunctionInstall

@Suite("TOML editor")
struct TOMLEditorTests {
    static let entry: [(key: String, value: TOMLValue)] = [
        ("command", .string("/opt/junction")), ("args", .array([.string("stdio")])),
    ]

    static let codex = """
        # Codex settings
        model = "o3"   # the model
        approval_policy = "on-request"

        [mcp_servers.git]
        command = "uvx"
        args = [
          "mcp-server-git",  # multi-line array
          "--repository", '/src/ünï',
        ]
        env = { GIT_TOKEN = "t0k", "QUOTED KEY" = "v" }

        [mcp_servers."my docs"]
        url = "https://docs.example.com/mcp"

        [profiles.fast]
        model = "o4-mini"
        when = 1979-05-27 07:32:00Z
        text = \"\"\"
        multi "line"
        \"\"\"

        """

    @Test("install appends one table; uninstall restores the file byte for byte", arguments: ["\n", "\r\n"])
    func roundTrip(_ newline: String) throws {
        let original = Self.codex.replacingOccurrences(of: "\n", with: newline)
        var editor = TOMLEditor(Array(original.utf8))
        #expect(try editor.set(Self.entry, name: "junction"))
        let installed = String(decoding: editor.bytes, as: UTF8.self)
        #expect(
            installed
                == original + newline + "[mcp_servers.junction]" + newline + "command = \"/opt/junction\"" + newline
                + "args = [\"stdio\"]" + newline)
        #expect(try !editor.set(Self.entry, name: "junction"), "a second install changes nothing")
        #expect(try editor.remove(name: "junction"))
        #expect(String(decoding: editor.bytes, as: UTF8.self) == original)
        #expect(try !editor.remove(name: "junction"))
    }

    @Test("an existing table keeps its other keys and comments; only changed values are rewritten")
    func updatesInPlace() throws {
        let original =
            "[mcp_servers.junction]  # mine\ncommand = \"/old\"  # path\nstartup_timeout_sec = 20\n\n[other]\nx = 1\n"
        var editor = TOMLEditor(Array(original.utf8))
        #expect(try editor.set(Self.entry, name: "junction"))
        #expect(
            String(decoding: editor.bytes, as: UTF8.self)
                == "[mcp_servers.junction]  # mine\ncommand = \"/opt/junction\"  # path\nstartup_timeout_sec = 20\nargs = [\"stdio\"]\n\n[other]\nx = 1\n"
        )
    }

    @Test("servers are read from tables, subtables, dotted keys and inline tables")
    func servers() throws {
        let servers = try TOMLEditor(Array(Self.codex.utf8)).servers()
        #expect(servers.map(\.name) == ["git", "my docs"])
        let git = ClientServer(key: "git", value: servers[0].value.json, style: .codex)
        #expect(git.command == "uvx" && git.args == ["mcp-server-git", "--repository", "/src/ünï"])
        #expect(git.env == ["GIT_TOKEN": "t0k", "QUOTED KEY": "v"])
        let docs = ClientServer(key: "my docs", value: servers[1].value.json, style: .codex)
        #expect(docs.transport == .http && docs.url == "https://docs.example.com/mcp")

        let subtable =
            "[mcp_servers.a]\ncommand = \"a\"\n[mcp_servers.a.env]\nK = \"v\"\n[mcp_servers]\nb.command = \"b\"\n"
        let read = try TOMLEditor(Array(subtable.utf8)).servers()
        #expect(read.map(\.name) == ["a", "b"])
        #expect(ClientServer(key: "a", value: read[0].value.json, style: .codex).env == ["K": "v"])
    }

    @Test("removing a server takes its subtables too, nothing else")
    func removeWithSubtables() throws {
        let original =
            "a = 1\n\n[mcp_servers.x]\ncommand = \"x\"\n[mcp_servers.x.env]\nK = \"v\"\n# keep me\n[mcp_servers.y]\ncommand = \"y\"\n"
        var editor = TOMLEditor(Array(original.utf8))
        #expect(try editor.remove(name: "x"))
        #expect(
            String(decoding: editor.bytes, as: UTF8.self) == "a = 1\n\n# keep me\n[mcp_servers.y]\ncommand = \"y\"\n")
    }

    @Test(
        "invalid TOML is refused with its line and column",
        arguments: [
            ("a = 1\nb = \n", 2, 5), ("[table\n", 1, 7), ("a = \"open\n", 1, 10), ("x = [1, 2\n", 1, 5),
            ("a = 1 b\n", 1, 7),
        ])
    func invalid(_ text: String, _ line: Int, _ column: Int) throws {
        var editor = TOMLEditor(Array(text.utf8))
        do {
            try editor.set(Self.entry, name: "junction")
            Issue.record("expected a syntax error for \(text)")
        } catch {
            let position = SyntaxError.position(of: error.offset, in: Array(text.utf8))
            #expect(position.line == line && position.column == column, "\(error.message) in \(text)")
        }
    }

    @Test("an inline junction definition is refused rather than duplicated")
    func inlineDefinition() {
        var editor = TOMLEditor(Array("[mcp_servers]\njunction = { command = \"j\" }\n".utf8))
        #expect(throws: SyntaxError.self) { try editor.set(Self.entry, name: "junction") }
    }
}
