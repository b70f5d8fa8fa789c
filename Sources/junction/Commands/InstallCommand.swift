import ArgumentParser
import Foundation
import JunctionInstall
import JunctionServer
import JunctionStore

struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Put Junction into an AI client's MCP configuration, keeping everything else in the file.",
        discussion: """
            The entry runs this junction binary with `stdio` (and `--workspace NAME`); with --http it is
            the URL of the daemon's /mcp instead, with a key in the client's header field (a new client
            key with --key NAME, else the daemon's API key). The file is backed up to
            FILE.junction-backup-YYYYMMDDHHMMSS and replaced atomically; installing again with the same
            entry changes nothing. Clients: \(ClientID.allCases.map(\.rawValue).joined(separator: ", ")).
            `junction mcp-install` is the same command.
            """,
        aliases: ["mcp-install"])

    @Argument(help: "The client (see junction clients).") var client: String
    @Option(help: ArgumentHelp("Use the client's project configuration under DIR.", valueName: "DIR"))
    var project: String?
    @Option(help: "Route this client as the named workspace, whatever folder it opens.") var workspace: String?
    @Flag(help: "Write the URL of the daemon's /mcp (streamable HTTP) instead of a command.") var http = false
    @Option(
        help: ArgumentHelp(
            "With --http: make a client key with this name (bound to --workspace) and write it.", valueName: "NAME"))
    var key: String?
    @Option(help: ArgumentHelp("With --http: the URL to write (default: the running daemon's /mcp).", valueName: "URL"))
    var url: String?
    @Flag(help: "Print the change as a unified diff and write nothing.") var preview = false
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if !http, key != nil || url != nil { throw ArgumentParser.ValidationError("--key and --url go with --http") }
    }

    func run() throws {
        let (entry, madeKey) =
            try http ? httpEntry() : (JunctionEntry(command: JunctionExecutable.current(), workspace: workspace), nil)
        let outcome: InstallOutcome
        do {
            outcome = try installing { () throws(InstallError) in
                let target = try InstallTarget(client: try Client.named(client), project: project)
                return try Installer.install(entry, into: target, preview: preview)
            }
        } catch {
            // A key made for a file that was not written would sit unused: revoked again.
            if let madeKey { _ = try? madeKey.repository.revoke(madeKey.name) }
            throw error
        }
        if output.json { return try Output.json(outcome) }
        InstallCommand.report(outcome, preview: preview)
    }

    /// The URL form: the daemon's `/mcp` (with `?workspace=` for an unbound key) and a key: a new
    /// client key named `--key`, else the daemon's API key.
    private func httpEntry() throws -> (JunctionEntry, (repository: ClientKeyRepository, name: String)?) {
        let home = JunctionHome.resolve()
        var base = url ?? (DaemonInfo.read(home).map { $0.url + "/mcp" } ?? "http://127.0.0.1:8080/mcp")
        let secret: String
        var made: (repository: ClientKeyRepository, name: String)?
        if let key, preview {
            secret = "<the key '\(key)' made at install>"
        } else if let key {
            // Made before the file is touched; on a failed install it is revoked again.
            _ = try installing { () throws(InstallError) in try Client.named(client) }
            let repository = ClientKeyRepository(try CLIContext.open().database)
            secret = try repository.create(name: key, workspace: workspace).secret
            made = (repository, key)
        } else {
            secret = try APIKey.load(home: home)
            if let workspace, url == nil {
                base +=
                    "?workspace="
                    + (workspace.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? workspace)
            }
        }
        return (JunctionEntry(url: base, key: secret), made)
    }

    static func report(_ outcome: InstallOutcome, preview: Bool) {
        let name = (try? Client.named(outcome.client).name) ?? outcome.client
        if preview {
            if let diff = outcome.diff, !diff.isEmpty {
                print(diff, terminator: "")
            } else {
                print("No change: \(describe(outcome.action, name)) in \(outcome.configPath).")
            }
            return
        }
        var line: String
        switch outcome.action {
        case .installed:
            line = "Installed Junction in \(name): \(outcome.created ? "created " : "")\(outcome.configPath)"
        case .updated: line = "Updated Junction's entry in \(name): \(outcome.configPath)"
        case .unchanged: line = "Junction is already installed in \(name) (\(outcome.configPath)); nothing changed"
        case .removed: line = "Removed Junction from \(name): \(outcome.configPath)"
        case .absent: line = "Junction is not installed in \(name) (\(outcome.configPath)); nothing changed"
        }
        if let backup = outcome.backupPath { line += " (backup: \(backup))" }
        print(line + ".")
    }

    private static func describe(_ action: InstallOutcome.Action, _ name: String) -> String {
        action == .absent ? "Junction is not installed in \(name)" : "Junction is already installed in \(name)"
    }
}

struct UninstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall",
        abstract: "Take Junction's entry out of an AI client's configuration; nothing else changes.")

    @Argument(help: "The client (see junction clients).") var client: String
    @Option(help: ArgumentHelp("Use the client's project configuration under DIR.", valueName: "DIR"))
    var project: String?
    @Flag(help: "Print the change as a unified diff and write nothing.") var preview = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let outcome = try installing { () throws(InstallError) in
            try Installer.uninstall(
                from: try InstallTarget(client: try Client.named(client), project: project), preview: preview)
        }
        if output.json { return try Output.json(outcome) }
        InstallCommand.report(outcome, preview: preview)
    }
}
