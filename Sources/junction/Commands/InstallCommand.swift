import ArgumentParser
import Foundation
import JunctionInstall

struct InstallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install",
        abstract: "Put Junction into an AI client's MCP configuration, keeping everything else in the file.",
        discussion: """
            The entry runs this junction binary with `stdio` (and `--workspace NAME`). The file is
            backed up to FILE.junction-backup-YYYYMMDDHHMMSS and replaced atomically; installing
            again with the same entry changes nothing. Clients: \(ClientID.allCases.map(\.rawValue).joined(separator: ", ")).
            """)

    @Argument(help: "The client (see junction clients).") var client: String
    @Option(help: ArgumentHelp("Use the client's project configuration under DIR.", valueName: "DIR"))
    var project: String?
    @Option(help: "Route this client as the named workspace, whatever folder it opens.") var workspace: String?
    @Flag(help: "Print the change as a unified diff and write nothing.") var preview = false
    @OptionGroup var output: OutputOptions

    func run() throws {
        let outcome = try installing { () throws(InstallError) in
            let target = try InstallTarget(client: try Client.named(client), project: project)
            let entry = JunctionEntry(command: JunctionExecutable.current(), workspace: workspace)
            return try Installer.install(entry, into: target, preview: preview)
        }
        if output.json { return try Output.json(outcome) }
        InstallCommand.report(outcome, preview: preview)
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
