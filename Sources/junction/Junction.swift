import ArgumentParser
import JunctionCore

/// The root command. `--home DIR` is accepted anywhere before `--` (see main.swift).
struct Junction: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "junction",
        abstract: "A workspace-routing MCP multiplexer: one MCP server in your AI client, many behind it.",
        discussion: """
            State lives in JUNCTION_HOME (default ~/.junction): junction.db, secret.key, api-key,
            junction.sock, logs/.
            Every command accepts --home DIR to use another folder.
            """,
        version: JunctionVersion.current,
        subcommands: [
            WorkspaceCommand.self,
            ServerCommand.self,
            RouteCommand.self,
            ScopeCommand.self,
            AuthCommand.self,
            OAuthProviderCommand.self,
            SettingsCommand.self,
            ConfigCommand.self,
            DoctorCommand.self,
            DryRunCommand.self,
            ToolsCommand.self,
            ApprovalsCommand.self,
            KeyCommand.self,
            StdioCommand.self,
            ServeCommand.self,
            UICommand.self,
            ClientsCommand.self,
            InstallCommand.self,
            UninstallCommand.self,
            ImportCommand.self,
        ]
    )

    @Option(name: .long, help: ArgumentHelp("Junction's state folder (overrides JUNCTION_HOME).", valueName: "DIR"))
    var home: String?
}

/// `--json` for commands that print data.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print JSON (field names as in the REST API) instead of a table.")
    var json = false
}

extension Policy: ExpressibleByArgument {}

extension AsyncParsableCommand {
    /// Runs the async `run()`: called through an existential, plain `run()` would pick the
    /// synchronous requirement.
    mutating func runAsync() async throws {
        try await run()
    }
}
