import Foundation
import Testing

@testable import JunctionInstall

@Suite("junction clients, install, uninstall")
struct InstallCommandTests {
    let sandbox: InstallSandbox

    init() throws {
        sandbox = try InstallSandbox()
    }

    var binary: String { InstallSandbox.executable ?? "junction" }

    /// Junction's entry as the client reads it back from the file.
    func installedEntry(_ id: ClientID, _ relative: String) throws -> ClientServer? {
        let editor = ConfigEditor(client: Client(id), path: relative, bytes: Array(try sandbox.read(relative).utf8))
        return try editor.servers().first { $0.key == "junction" }
    }

    @Test("install, reinstall, preview and uninstall keep every other byte", arguments: ClientID.allCases)
    func fullCycle(_ id: ClientID) throws {
        let (relative, original) = Fixtures.config(id)
        try sandbox.write(relative, original, mode: 0o600)

        let preview = try sandbox.ok(["install", id.rawValue, "--preview"])
        #expect(preview.contains("--- a/") && preview.contains("+++ b/") && preview.contains("@@ -"))
        #expect(preview.contains("+") && preview.contains(binary) && preview.contains("junction"))
        #expect(try sandbox.read(relative) == original, "preview writes nothing")
        #expect(try sandbox.backups(of: relative).isEmpty)

        let installed = try sandbox.ok(["install", id.rawValue])
        #expect(installed.hasPrefix("Installed Junction in "))
        let afterInstall = try sandbox.read(relative)
        let entry = try #require(try installedEntry(id, relative))
        #expect(entry.command == binary && entry.args == ["stdio"])
        #expect(try sandbox.mode(relative) == 0o600, "permission bits kept")
        let backups = try sandbox.backups(of: relative)
        #expect(backups.count == 1)
        #expect(try sandbox.read(backups[0]) == original)
        #expect(try sandbox.mode(backups[0]) == 0o600)
        // Everything else is untouched: the other servers still read the same.
        let before = try ConfigEditor(client: Client(id), path: relative, bytes: Array(original.utf8)).servers()
        let after = try ConfigEditor(client: Client(id), path: relative, bytes: Array(afterInstall.utf8)).servers()
        #expect(after.filter { $0.key != "junction" } == before)

        let again = try sandbox.ok(["install", id.rawValue])
        #expect(again.contains("already installed"))
        #expect(try sandbox.read(relative) == afterInstall)
        #expect(try sandbox.backups(of: relative).count == 1, "no new backup")
        #expect(try sandbox.ok(["install", id.rawValue, "--preview"]).contains("No change"))

        let status = try #require(try sandbox.json(["clients", "--json"]) as? [[String: Any]])
        let row = try #require(status.first { $0["id"] as? String == id.rawValue })
        #expect(row["installed"] as? Bool == true && row["up_to_date"] as? Bool == true)
        #expect(row["detected"] as? Bool == true)
        #expect((row["config_path"] as? String)?.hasSuffix(relative) == true)

        let removed = try sandbox.ok(["uninstall", id.rawValue])
        #expect(removed.hasPrefix("Removed Junction from "))
        #expect(try sandbox.read(relative) == original, "uninstall restores the original bytes")
        #expect(try sandbox.mode(relative) == 0o600)
        #expect(try sandbox.ok(["uninstall", id.rawValue]).contains("not installed"))
    }

    @Test("a missing file is created with its folder; --workspace goes into the entry", arguments: ClientID.allCases)
    func missingFile(_ id: ClientID) throws {
        let relative = Fixtures.config(id).path
        let status = try #require(try sandbox.json(["clients", "--json"]) as? [[String: Any]])
        let row = try #require(status.first { $0["id"] as? String == id.rawValue })
        #expect(row["detected"] as? Bool == false && row["installed"] as? Bool == false)
        #expect(row["entry"] != nil && (row["entry_text"] as? String)?.contains(binary) == true)

        let preview = try sandbox.ok(["install", id.rawValue, "--preview"])
        #expect(preview.hasPrefix("--- /dev/null\n"))
        #expect(!sandbox.exists(relative))
        let output = try sandbox.ok(["install", id.rawValue, "--workspace", "shop"])
        #expect(output.contains("created"))
        let entry = try #require(try installedEntry(id, relative))
        #expect(entry.args == ["stdio", "--workspace", "shop"])
        #expect(try sandbox.backups(of: relative).isEmpty, "nothing to back up")
        // Reinstalling without the workspace updates the entry.
        #expect(try sandbox.ok(["install", id.rawValue]).hasPrefix("Updated Junction's entry"))
        #expect(try installedEntry(id, relative)?.args == ["stdio"])
    }

    @Test("uninstall with no file writes and creates nothing")
    func uninstallMissing() throws {
        #expect(try sandbox.ok(["uninstall", "cursor"]).contains("not installed"))
        #expect(!sandbox.exists(".cursor"))
        let outcome = try #require(try sandbox.json(["uninstall", "codex", "--json"]) as? [String: Any])
        #expect(outcome["action"] as? String == "absent" && outcome["changed"] as? Bool == false)
        #expect(!sandbox.exists(".codex"))
    }

    @Test("an empty file gets a fresh configuration")
    func emptyFile() throws {
        try sandbox.write(".cursor/mcp.json", "")
        try sandbox.ok(["install", "cursor"])
        #expect(try installedEntry(.cursor, ".cursor/mcp.json")?.command == binary)
        try sandbox.write(".codex/config.toml", "")
        try sandbox.ok(["install", "codex"])
        #expect(
            try sandbox.read(".codex/config.toml")
                == "[mcp_servers.junction]\ncommand = \"\(binary)\"\nargs = [\"stdio\"]\n")
    }

    @Test(
        "a file that does not parse is left untouched and reported with line and column",
        arguments: [
            (
                ClientID.cursor, "{\n  \"mcpServers\": {\n    \"a\": {\"command\": \"x\"}\n    \"b\": {}\n  }\n}\n",
                "line 4, column 5"
            ),
            (ClientID.vscode, "{\n  \"servers\": {\n    \"a\": {\"command\": \"x\",\n}\n", "line 2, column 14"),
            (ClientID.claudeDesktop, "{\"mcpServers\": []}", "line 1, column 16"),
            (ClientID.codex, "model = \"o3\"\n[mcp_servers.a\ncommand = \"x\"\n", "line 2, column 15"),
        ])
    func invalidFile(_ id: ClientID, _ text: String, _ position: String) throws {
        let relative = Fixtures.config(id).path
        try sandbox.write(relative, text)
        try sandbox.fails(["install", id.rawValue], position, "left untouched")
        try sandbox.fails(["install", id.rawValue, "--preview"], position)
        try sandbox.fails(["uninstall", id.rawValue], position)
        try sandbox.fails(["import", id.rawValue], position)
        #expect(try sandbox.read(relative) == text)
        #expect(try sandbox.backups(of: relative).isEmpty)
    }

    @Test("project scope writes the project file; clients without one say so")
    func projectScope() throws {
        try sandbox.ok(["install", "claude-code", "--project", "shop"])
        #expect(try installedEntry(.claudeCode, "shop/.mcp.json")?.command == binary)
        try sandbox.ok(["install", "vscode", "--project", "shop"])
        let vscode = try sandbox.read("shop/.vscode/mcp.json")
        #expect(vscode.contains("\"servers\"") && vscode.contains("\"type\": \"stdio\""))
        try sandbox.ok(["install", "codex", "--project", "shop"])
        #expect(try sandbox.read("shop/.codex/config.toml").contains("[mcp_servers.junction]"))
        try sandbox.fails(["install", "windsurf", "--project", "shop"], "windsurf has no project configuration")
        try sandbox.fails(["install", "notepad"], "unknown client 'notepad'", "claude-desktop")
    }

    @Test("a symlinked configuration is written through the link")
    func symlink() throws {
        try sandbox.write("dotfiles/mcp.json", "{}\n")
        try FileManager.default.createDirectory(atPath: sandbox.path(".cursor"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: sandbox.path(".cursor/mcp.json"), withDestinationPath: sandbox.path("dotfiles/mcp.json"))
        try sandbox.ok(["install", "cursor"])
        #expect(
            try FileManager.default.destinationOfSymbolicLink(atPath: sandbox.path(".cursor/mcp.json"))
                == sandbox.path("dotfiles/mcp.json"))
        #expect(try sandbox.read("dotfiles/mcp.json").contains("\"junction\""))
    }

    @Test("eight installs racing on one file leave it valid with exactly one entry")
    func concurrentInstalls() throws {
        let (relative, original) = Fixtures.config(.zed)
        try sandbox.write(relative, original)
        let results = try sandbox.runAll((1...8).map { ["install", "zed", "--workspace", "w\($0)"] })
        for result in results { #expect(result.exitCode == 0, "\(result)") }
        let text = try sandbox.read(relative)
        let servers = try ConfigEditor(client: Client(.zed), path: relative, bytes: Array(text.utf8)).servers()
        #expect(servers.filter { $0.key == "junction" }.count == 1)
        #expect(text.components(separatedBy: "\"junction\"").count == 2)
        #expect(servers.contains { $0.key == "postgres" })
        #expect(try sandbox.backups(of: relative).count == 8, "each writer backed up what it replaced")
        try sandbox.ok(["uninstall", "zed"])
        #expect(try sandbox.read(relative) == original)

        try sandbox.write(".codex/config.toml", Fixtures.config(.codex).text)
        let codex = try sandbox.runAll(Array(repeating: ["install", "codex"], count: 8))
        for result in codex { #expect(result.exitCode == 0, "\(result)") }
        let toml = try sandbox.read(".codex/config.toml")
        #expect(toml.components(separatedBy: "[mcp_servers.junction]").count == 2)
        #expect(codex.filter { $0.stdout.contains("already installed") }.count == 7)
    }

    @Test("--json output uses the REST field names")
    func jsonOutput() throws {
        let outcome = try #require(try sandbox.json(["install", "gemini", "--json"]) as? [String: Any])
        #expect(outcome["client"] as? String == "gemini" && outcome["action"] as? String == "installed")
        #expect(outcome["created"] as? Bool == true && outcome["changed"] as? Bool == true)
        #expect((outcome["config_path"] as? String)?.hasSuffix(".gemini/settings.json") == true)
        let again = try #require(try sandbox.json(["uninstall", "gemini", "--json"]) as? [String: Any])
        #expect(again["action"] as? String == "removed" && again["backup_path"] is String)
    }
}
