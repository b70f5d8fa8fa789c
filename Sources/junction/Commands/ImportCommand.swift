import ArgumentParser
import Foundation
import JunctionInstall

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Make the MCP servers configured in an AI client Junction servers.",
        discussion: """
            Each server (except Junction's own entry) becomes a server named after its key; its env
            (and HTTP headers) go into a sealed auth scope NAME-env, used by a global route rule
            NAMESPACE__* so it keeps getting them. Servers that cannot be imported are listed with the
            reason and left alone. --replace then installs Junction in the client and removes the
            imported entries from its file (one backup, one atomic write).
            """)

    @Argument(help: "The client (see junction clients).") var client: String
    @Option(help: ArgumentHelp("Use the client's project configuration under DIR.", valueName: "DIR"))
    var project: String?
    @Flag(help: "Report what would be imported and write nothing.") var dryRun = false
    @Flag(help: "Also install Junction in the client and remove the imported entries from it.") var replace = false
    @Option(help: "With --replace: route the client as the named workspace.") var workspace: String?
    @OptionGroup var output: OutputOptions

    func run() throws {
        let context = try CLIContext.open()
        let importer = Importer(
            downstreams: context.downstreams, scopes: try context.scopes(sealing: !dryRun), routes: context.routes)
        let report = try installing { () throws(InstallError) in
            try importer.run(
                try InstallTarget(client: try Client.named(client), project: project),
                entry: JunctionEntry(command: JunctionExecutable.current(), workspace: workspace), dryRun: dryRun,
                replace: replace)
        }
        if output.json { return try Output.json(report) }
        let verb = dryRun ? "Would import" : "Imported"
        if report.imported.isEmpty && report.skipped.isEmpty {
            print("No servers to import in \(report.configPath).")
        } else {
            print("\(verb) \(report.imported.count) server(s) from \(report.configPath):")
            if !report.imported.isEmpty {
                Output.table(
                    ["FROM", "NAME", "NAMESPACE", "TRANSPORT", "AUTH SCOPE", "ROUTE", "COMMAND"],
                    report.imported.map { item in
                        [
                            item.source, item.name, item.namespace, item.transport, item.authScope ?? "-",
                            item.route.map { "\($0) (\(item.namespace)__*)" } ?? "-",
                            item.url ?? ([item.command ?? ""] + item.args).map(Output.shellWord).joined(separator: " "),
                        ]
                    })
            }
            for item in report.imported {
                for warning in item.warnings { print("note: \(item.name): \(warning)") }
            }
            if !report.skipped.isEmpty {
                print("Skipped \(report.skipped.count):")
                for skip in report.skipped { print("  \(skip.source): \(skip.reason)") }
            }
        }
        if let outcome = report.replace {
            if dryRun {
                print("With --replace, \(report.configPath) would change:")
                print(outcome.diff ?? "", terminator: "")
            } else {
                InstallCommand.report(outcome, preview: false)
            }
        }
    }
}
