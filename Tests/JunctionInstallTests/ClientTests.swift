import Testing

@testable import JunctionInstall

@Suite("Clients")
struct ClientTests {
    static let linux = ClientEnvironment(platform: .linux, variables: ["HOME": "/home/u"])
    static let mac = ClientEnvironment(platform: .macOS, variables: ["HOME": "/Users/u"])
    static let windows = ClientEnvironment(
        platform: .windows, variables: ["USERPROFILE": "C:\\Users\\u", "APPDATA": "C:\\Users\\u\\AppData\\Roaming"])

    @Test("user configuration paths on Linux, macOS and Windows")
    func paths() {
        let expected: [ClientID: (String, String, String)] = [
            .claudeDesktop: (
                "/home/u/.config/Claude/claude_desktop_config.json",
                "/Users/u/Library/Application Support/Claude/claude_desktop_config.json",
                "C:\\Users\\u\\AppData\\Roaming\\Claude\\claude_desktop_config.json"
            ),
            .claudeCode: ("/home/u/.claude.json", "/Users/u/.claude.json", "C:\\Users\\u\\.claude.json"),
            .cursor: ("/home/u/.cursor/mcp.json", "/Users/u/.cursor/mcp.json", "C:\\Users\\u\\.cursor\\mcp.json"),
            .vscode: (
                "/home/u/.config/Code/User/mcp.json", "/Users/u/Library/Application Support/Code/User/mcp.json",
                "C:\\Users\\u\\AppData\\Roaming\\Code\\User\\mcp.json"
            ),
            .windsurf: (
                "/home/u/.codeium/windsurf/mcp_config.json", "/Users/u/.codeium/windsurf/mcp_config.json",
                "C:\\Users\\u\\.codeium\\windsurf\\mcp_config.json"
            ),
            .codex: ("/home/u/.codex/config.toml", "/Users/u/.codex/config.toml", "C:\\Users\\u\\.codex\\config.toml"),
            .gemini: (
                "/home/u/.gemini/settings.json", "/Users/u/.gemini/settings.json",
                "C:\\Users\\u\\.gemini\\settings.json"
            ),
            .zed: (
                "/home/u/.config/zed/settings.json", "/Users/u/.config/zed/settings.json",
                "C:\\Users\\u\\AppData\\Roaming\\Zed\\settings.json"
            ),
            .opencode: (
                "/home/u/.config/opencode/opencode.json", "/Users/u/.config/opencode/opencode.json",
                "C:\\Users\\u\\.config\\opencode\\opencode.json"
            ),
        ]
        for client in Client.all {
            let (linux, mac, windows) = expected[client.id] ?? ("", "", "")
            #expect(client.userConfigPath(Self.linux) == linux)
            #expect(client.userConfigPath(Self.mac) == mac)
            #expect(client.userConfigPath(Self.windows) == windows)
        }
    }

    @Test("XDG_CONFIG_HOME and CODEX_HOME are honoured")
    func environmentOverrides() {
        let environment = ClientEnvironment(
            platform: .linux, variables: ["HOME": "/home/u", "XDG_CONFIG_HOME": "/xdg", "CODEX_HOME": "/codex"])
        #expect(Client(.claudeDesktop).userConfigPath(environment) == "/xdg/Claude/claude_desktop_config.json")
        #expect(Client(.vscode).userConfigPath(environment) == "/xdg/Code/User/mcp.json")
        #expect(Client(.zed).userConfigPath(environment) == "/xdg/zed/settings.json")
        #expect(Client(.opencode).userConfigPath(environment) == "/xdg/opencode/opencode.json")
        #expect(Client(.codex).userConfigPath(environment) == "/codex/config.toml")
    }

    @Test("project files where the client has them")
    func projectPaths() {
        let paths = Client.all.map { $0.projectConfigPath("/p", Self.linux) }
        #expect(
            paths == [
                nil, "/p/.mcp.json", "/p/.cursor/mcp.json", "/p/.vscode/mcp.json", nil, "/p/.codex/config.toml",
                "/p/.gemini/settings.json", nil, nil,
            ])
    }

    @Test("entries take each client's shape")
    func entries() {
        let entry = JunctionEntry(command: "/bin/junction", workspace: "shop")
        let args = JSONCValue.array(["stdio", "--workspace", "shop"].map(JSONCValue.string))
        #expect(
            entry.json(for: .vscode)
                == .object([
                    .init("type", .string("stdio")), .init("command", .string("/bin/junction")), .init("args", args),
                ]))
        #expect(entry.json(for: .zed)["source"] == .string("custom") && entry.json(for: .zed)["env"] == .object([]))
        #expect(
            entry.json(for: .opencode)["command"]
                == .array(["/bin/junction", "stdio", "--workspace", "shop"].map(JSONCValue.string)))
        #expect(entry.json(for: .opencode)["enabled"] == .bool(true))
        #expect(
            entry.text(for: Client(.codex))
                == "[mcp_servers.junction]\ncommand = \"/bin/junction\"\nargs = [\"stdio\", \"--workspace\", \"shop\"]\n"
        )
    }

    @Test("servers are read in every client's shape")
    func readsServers() throws {
        let zed = ClientServer(
            key: "z", value: try parse(#"{"command": {"path": "zz", "args": ["1"], "env": {"K": "v"}}}"#), style: .zed)
        #expect(zed.command == "zz" && zed.args == ["1"] && zed.env == ["K": "v"])
        let opencode = ClientServer(
            key: "o", value: try parse(#"{"type": "local", "command": ["npx", "-y", "x"], "environment": {"K": "v"}}"#),
            style: .opencode)
        #expect(opencode.command == "npx" && opencode.args == ["-y", "x"] && opencode.env == ["K": "v"])
        let windsurf = ClientServer(
            key: "w", value: try parse(#"{"serverUrl": "https://x.dev/mcp", "headers": {"Authorization": "t"}}"#),
            style: .standard)
        #expect(
            windsurf.transport == .http && windsurf.url == "https://x.dev/mcp"
                && windsurf.headers["Authorization"] == "t")
        let broken = ClientServer(key: "b", value: try parse(#"{"args": ["x"]}"#), style: .standard)
        #expect(broken.problem != nil)
    }

    @Test("imported names are sanitised")
    func sanitize() {
        #expect(Importer.sanitize("GitHub (work)") == "GitHub--work-")
        #expect(Importer.sanitize("ünï") == "-n-")
        #expect(Importer.sanitize("///") == "server")
        #expect(Importer.sanitize(String(repeating: "a", count: 80)).count == 56)
    }

    private func parse(_ text: String) throws -> JSONCValue {
        try #require(try JSONCDocument(Array(text.utf8)).root).value
    }
}
