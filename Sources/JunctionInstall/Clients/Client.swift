/// The AI clients Junction installs into.
public enum ClientID: String, Sendable, CaseIterable, Codable {
    case claudeDesktop = "claude-desktop"
    case claudeCode = "claude-code"
    case cursor
    case vscode
    case windsurf
    case codex
    case gemini
    case zed
    case opencode
}

/// One client: the file it reads its MCP servers from, where in that file, and the shape of an entry.
public struct Client: Sendable, Hashable {
    public enum Format: String, Sendable {
        /// JSON; comments and trailing commas are tolerated and kept.
        case json
        /// JSON with comments, as the client documents it.
        case jsonc
        case toml
    }

    /// How a server entry looks.
    public enum EntryStyle: Sendable {
        /// `{"command": …, "args": […]}`.
        case standard
        /// VS Code: `{"type": "stdio", "command": …, "args": […]}`.
        case vscode
        /// Zed: `{"source": "custom", "command": …, "args": […], "env": {}}`.
        case zed
        /// opencode: `{"type": "local", "command": [cmd, args…], "enabled": true}`.
        case opencode
        /// Codex: `[mcp_servers.NAME]` with `command` and `args`.
        case codex
    }

    public let id: ClientID
    public let name: String
    public let format: Format
    /// The key path of the object (or TOML table) holding the servers.
    public let serversKey: [String]
    public let style: EntryStyle

    public static func named(_ id: String) throws(InstallError) -> Client {
        guard let known = ClientID(rawValue: id.lowercased()) else { throw .unknownClient(id) }
        return Client(known)
    }

    public static let all: [Client] = ClientID.allCases.map(Client.init)

    public init(_ id: ClientID) {
        self.id = id
        switch id {
        case .claudeDesktop: (name, format, serversKey, style) = ("Claude Desktop", .json, ["mcpServers"], .standard)
        case .claudeCode: (name, format, serversKey, style) = ("Claude Code", .json, ["mcpServers"], .standard)
        case .cursor: (name, format, serversKey, style) = ("Cursor", .json, ["mcpServers"], .standard)
        case .vscode: (name, format, serversKey, style) = ("VS Code", .jsonc, ["servers"], .vscode)
        case .windsurf: (name, format, serversKey, style) = ("Windsurf", .json, ["mcpServers"], .standard)
        case .codex: (name, format, serversKey, style) = ("Codex", .toml, ["mcp_servers"], .codex)
        case .gemini: (name, format, serversKey, style) = ("Gemini CLI", .json, ["mcpServers"], .standard)
        case .zed: (name, format, serversKey, style) = ("Zed", .jsonc, ["context_servers"], .zed)
        case .opencode: (name, format, serversKey, style) = ("opencode", .jsonc, ["mcp"], .opencode)
        }
    }

    /// The user-scope configuration file.
    public func userConfigPath(_ environment: ClientEnvironment) -> String {
        let home = environment.home
        switch id {
        case .claudeDesktop:
            return environment.join(environment.applicationSupport, "Claude", "claude_desktop_config.json")
        case .claudeCode:
            return environment.join(home, ".claude.json")
        case .cursor:
            return environment.join(home, ".cursor", "mcp.json")
        case .vscode:
            return environment.join(environment.applicationSupport, "Code", "User", "mcp.json")
        case .windsurf:
            return environment.join(home, ".codeium", "windsurf", "mcp_config.json")
        case .codex:
            return environment.join(codexHome(environment), "config.toml")
        case .gemini:
            return environment.join(home, ".gemini", "settings.json")
        case .zed:
            let folder =
                environment.platform == .windows
                ? environment.join(environment.appData, "Zed") : environment.join(environment.xdgConfigHome, "zed")
            return environment.join(folder, "settings.json")
        case .opencode:
            return environment.join(environment.xdgConfigHome, "opencode", "opencode.json")
        }
    }

    /// The folder whose existence says the client is installed on this machine.
    public func configDirectory(_ environment: ClientEnvironment) -> String {
        switch id {
        case .claudeCode: environment.join(environment.home, ".claude")
        case .codex: codexHome(environment)
        default: Self.parent(of: userConfigPath(environment), environment)
        }
    }

    private func codexHome(_ environment: ClientEnvironment) -> String {
        environment.variable("CODEX_HOME") ?? environment.join(environment.home, ".codex")
    }

    /// The project-scope file under `directory`, or nil when the client has none.
    public func projectConfigPath(_ directory: String, _ environment: ClientEnvironment) -> String? {
        switch id {
        case .claudeCode: environment.join(directory, ".mcp.json")
        case .cursor: environment.join(directory, ".cursor", "mcp.json")
        case .vscode: environment.join(directory, ".vscode", "mcp.json")
        case .codex: environment.join(directory, ".codex", "config.toml")
        case .gemini: environment.join(directory, ".gemini", "settings.json")
        case .claudeDesktop, .windsurf, .zed, .opencode: nil
        }
    }

    static func parent(of path: String, _ environment: ClientEnvironment) -> String {
        let separator: Character = environment.platform == .windows ? "\\" : "/"
        guard let last = path.lastIndex(of: separator) else { return path }
        return String(path[..<last])
    }
}
