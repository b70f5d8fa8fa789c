@testable import JunctionInstall

/// A realistic configuration file for each client: unrelated servers and settings, odd
/// whitespace, comments where the format allows them, CRLF line endings, unicode.
enum Fixtures {
    /// The file's path relative to HOME, and its contents.
    static func config(_ id: ClientID) -> (path: String, text: String) {
        switch id {
        case .claudeDesktop:
            (
                ".config/Claude/claude_desktop_config.json",
                "{\r\n  \"mcpServers\": {\r\n    \"filesystem\": {\r\n      \"command\": \"npx\",\r\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/home/ünï/Desktop\"]\r\n    }\r\n  },\r\n  \"globalShortcut\": \"Ctrl+Space\"\r\n}\r\n"
            )
        case .claudeCode:
            (
                ".claude.json",
                "{\n  \"numStartups\": 42,\n  \"projects\": {\n    \"/home/u/shop\": {\n      \"mcpServers\": {},\n      \"allowedTools\": []\n    }\n  },\n  \"mcpServers\": {\n    \"github\": {\n      \"type\": \"stdio\",\n      \"command\": \"github-mcp-server\",\n      \"args\": [\"stdio\"],\n      \"env\": {\n        \"GITHUB_PERSONAL_ACCESS_TOKEN\": \"ghp_fixture\"\n      }\n    }\n  },\n  \"theme\": \"dark\"\n}"
            )
        case .cursor:
            (
                ".cursor/mcp.json",
                "{\n\t\"mcpServers\" : {\n\t\t\"time\" : { \"command\" : \"uvx\", \"args\" : [ \"mcp-server-time\", \"--local-timezone=Europe/Zürich\" ] },\n\t\t\"remote\": {\"url\": \"https://mcp.example.com/sse\"}\n\t}\n}\n"
            )
        case .vscode:
            (
                ".config/Code/User/mcp.json",
                "// VS Code MCP servers\n{\n\t\"inputs\": [\n\t\t{ \"type\": \"promptString\", \"id\": \"token\", \"password\": true }, // trailing comma below\n\t],\n\t\"servers\": {\n\t\t/* the git server */\n\t\t\"git\": {\n\t\t\t\"type\": \"stdio\",\n\t\t\t\"command\": \"uvx\",\n\t\t\t\"args\": [\"mcp-server-git\"],\n\t\t},\n\t},\n}\n"
            )
        case .windsurf:
            (
                ".codeium/windsurf/mcp_config.json",
                "{\"mcpServers\":{\"docs\":{\"serverUrl\":\"https://docs.example.com/mcp\",\"headers\":{\"X-Key\":\"k\"}}}}"
            )
        case .codex:
            (
                ".codex/config.toml",
                "# Codex ✓\nmodel = \"o3\"\n\n[mcp_servers.git]\ncommand = \"uvx\"\nargs = [\"mcp-server-git\"]   # pinned\n\n[mcp_servers.git.env]\nGIT_TOKEN = \"t\"\n\n[profiles.fast]\nmodel = \"o4-mini\"\n"
            )
        case .gemini:
            (
                ".gemini/settings.json",
                "{\n    \"theme\": \"GitHub\",\n    \"mcpServers\": {\n        \"weather\": {\n            \"command\": \"node\",\n            \"args\": [\"weather.js\"],\n            \"cwd\": \"/srv/weather\",\n            \"env\": {\"API_KEY\": \"$WEATHER_KEY\"}\n        }\n    }\n}\n"
            )
        case .zed:
            (
                ".config/zed/settings.json",
                "// Zed settings\n//\n// For information on how to configure Zed, see the Zed documentation.\n{\n  \"ui_font_size\": 16,\n  \"context_servers\": {\n    \"postgres\": {\n      \"source\": \"custom\",\n      \"command\": \"npx\",\n      \"args\": [\"-y\", \"@modelcontextprotocol/server-postgres\"],\n      \"env\": {}\n    }, // keep this comment\n  },\n  \"theme\": { \"mode\": \"system\", \"light\": \"One Light\", \"dark\": \"One Dark\" }\n}\n"
            )
        case .opencode:
            (
                ".config/opencode/opencode.json",
                "{\n  \"$schema\": \"https://opencode.ai/config.json\",\n  \"mcp\": {\n    \"fetch\": {\n      \"type\": \"local\",\n      \"command\": [\"uvx\", \"mcp-server-fetch\"],\n      \"enabled\": true,\n      \"environment\": {\"UA\": \"bot\"}\n    }\n  }\n}\n"
            )
        }
    }
}
