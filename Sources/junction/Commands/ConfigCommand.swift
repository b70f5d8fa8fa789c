import ArgumentParser
import Foundation
import JunctionServer
import JunctionStore

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Configuration as one document (YAML or JSON): export, validate, apply.",
        discussion: """
            A document holds workspaces, servers, routes, the auth scopes they use (by name, never
            secret values) and settings. Applying makes each section it contains what it says, in
            one transaction: all of it or nothing.
            """,
        subcommands: [Export.self, Validate.self, Apply.self])

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case yaml, json
    }

    static func read(_ path: String) throws -> ConfigDocument {
        let data: Data
        if path == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CLIError("cannot read '\(path)'")
            }
            data = contents
        }
        return try ConfigFormat.parse(data)
    }

    static func printDiff(_ changes: [ConfigRepository.Change]) {
        if changes.isEmpty {
            print("No changes: the configuration already matches the document.")
        } else {
            for change in changes { print(change) }
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the configuration as a document.")
        @Option(help: "yaml or json.") var format: Format = .yaml

        func run() throws {
            let context = try CLIContext.open()
            let document = try ConfigRepository(context.database).export()
            let rendered = try (format == .json ? ConfigFormat.json : ConfigFormat.yaml).render(document)
            print(rendered, terminator: rendered.hasSuffix("\n") ? "" : "\n")
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a document as applying would, and show the changes it would make.")
        @Argument(help: "The document (YAML or JSON; - for standard input).") var file: String

        func run() throws {
            let document = try ConfigCommand.read(file)
            let context = try CLIContext.open()
            let changes = try ConfigRepository(context.database).plan(document)
            print("'\(file)' is valid.")
            ConfigCommand.printDiff(changes)
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply a document all or nothing, showing the changes first (--dry-run: only show them).")
        @Argument(help: "The document (YAML or JSON; - for standard input).") var file: String
        @Flag(help: "Show the changes without making them.") var dryRun = false

        func run() throws {
            let document = try ConfigCommand.read(file)
            let context = try CLIContext.open()
            let repository = ConfigRepository(context.database)
            let changes = try repository.plan(document)
            ConfigCommand.printDiff(changes)
            guard !dryRun, !changes.isEmpty else { return }
            let applied = try repository.apply(document)
            print("Applied \(applied.count) change(s).")
        }
    }
}
