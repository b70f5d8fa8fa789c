import ArgumentParser
import Foundation
import JunctionInstall

struct ClientsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients",
        abstract: "List the AI clients Junction can install into, where their configuration is, and whether it is in.")

    @Option(help: ArgumentHelp("Show the project configuration files under DIR.", valueName: "DIR"))
    var project: String?
    @OptionGroup var output: OutputOptions

    func run() throws {
        let entry = JunctionEntry(command: JunctionExecutable.current())
        let statuses = Client.all.map { Installer.status(of: $0, entry: entry, project: project) }
        if output.json { return try Output.json(statuses) }
        Output.table(
            ["CLIENT", "NAME", "DETECTED", "INSTALLED", "CONFIG"],
            statuses.map { status in
                [
                    status.id, status.name, status.detected ? "yes" : "no",
                    status.configPath.isEmpty
                        ? "-"
                        : status.error != nil
                            ? "unreadable" : status.installed ? (status.upToDate ? "yes" : "yes (outdated)") : "no",
                    status.configPath.isEmpty ? "- (no project file)" : status.configPath,
                ]
            })
        for status in statuses {
            if let error = status.error, !status.configPath.isEmpty { print("\(status.id): \(error)") }
        }
        print("\nJunction's entry runs: \(Output.shellWord(entry.command)) \(entry.args.joined(separator: " "))")
        print("Install with: junction install CLIENT [--project DIR] [--workspace NAME] [--preview]")
    }
}

extension InstallError {
    /// Install errors reach the user as one `junction: …` line, like every CLI error.
    var cli: CLIError { CLIError(description) }
}

/// Runs a JunctionInstall call, turning its errors into CLI errors.
func installing<T>(_ body: () throws(InstallError) -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw error.cli
    }
}
