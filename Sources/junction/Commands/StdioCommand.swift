import ArgumentParser
import Foundation
import JunctionCore
import JunctionGateway
import JunctionServer
import JunctionStore
import Logging

struct StdioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stdio",
        abstract: "Serve MCP on stdin/stdout: the one server entry your AI client launches.",
        discussion: """
            Tools of every configured server appear as NAMESPACE__TOOL, filtered and routed by the
            rules of the workspace the client works in: --workspace NAME, else the first root the
            client offers, else the current folder. The session runs in the daemon (started in the
            background if none runs; one downstream process then serves every client), or in this
            process with --embedded. stdout carries only the protocol; diagnostics go to stderr and
            JUNCTION_HOME/logs/.
            """)

    @Flag(help: "Run the engine in this process instead of through the daemon.") var embedded = false
    @Option(help: "Route as this workspace, whatever folder the client is in.") var workspace: String?

    func run() async throws {
        if !embedded {
            let home = JunctionHome.resolve()
            let cwd = FileManager.default.currentDirectoryPath
            let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]
            let client = DaemonClient(home: home, executable: executable)
            switch try client.serveStdio(cwd: cwd, workspace: workspace) {
            case .served(let clientEnded):
                if !clientEnded { Output.printError("the Junction daemon ended this session") }
                Foundation.exit(clientEnded ? 0 : 1)
            case .runEmbedded(let reason):
                Output.printError("\(reason); running embedded")
            }
        }
        try await runEmbedded()
    }

    private func runEmbedded() async throws {
        let context = try CLIContext.open()
        let level = (try? context.settings.value(.logLevel)).flatMap(Logger.Level.init(rawValue:)) ?? .info
        JunctionLogHandler.bootstrap(
            logFile: (context.home.logsPath as NSString).appendingPathComponent("junction.log"), level: level)
        let target: ClientTarget
        if let workspace {
            target = .workspace(try context.workspaces.get(workspace).name)
        } else {
            let cwd = FileManager.default.currentDirectoryPath
            target = .folder((try? PathNormalizer.normalize(cwd)) ?? cwd)
        }
        let engine = try GatewayEngine(home: context.home, database: context.database)
        try await StdioServer(engine: engine, target: target, pinned: workspace != nil).run()
    }
}
