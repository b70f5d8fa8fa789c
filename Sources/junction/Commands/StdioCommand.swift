import ArgumentParser
import Foundation
import JunctionCore
import JunctionGateway
import JunctionStore
import Logging

struct StdioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stdio",
        abstract: "Serve MCP on stdin/stdout: the one server entry your AI client launches.",
        discussion: """
            Tools of every configured server appear as NAMESPACE__TOOL, filtered and routed by the
            rules of the workspace the client works in: --workspace NAME, else the first root the
            client offers, else the current folder. stdout carries only the protocol; diagnostics
            go to stderr and JUNCTION_HOME/logs/.
            """)

    @Flag(help: "Run the engine in this process (no daemon).") var embedded = false
    @Option(help: "Route as this workspace, whatever folder the client is in.") var workspace: String?

    func run() async throws {
        let context = try CLIContext.open()
        let levelJSON = (try? context.settings.get("log_level").json) ?? #""info""#
        let level = Logger.Level(rawValue: levelJSON.trimmingCharacters(in: CharacterSet(charactersIn: "\""))) ?? .info
        JunctionLogHandler.bootstrap(
            logFile: (context.home.logsPath as NSString).appendingPathComponent("junction.log"), level: level)
        let target: ClientTarget
        if let workspace {
            target = .workspace(try context.workspaces.get(workspace).name)
        } else {
            let cwd = FileManager.default.currentDirectoryPath
            target = .folder((try? PathNormalizer.normalize(cwd)) ?? cwd)
        }
        // The daemon (junction serve) is not part of this version: every session runs embedded.
        let engine = try GatewayEngine(home: context.home, database: context.database)
        try await StdioServer(engine: engine, target: target, pinned: workspace != nil).run()
    }
}
