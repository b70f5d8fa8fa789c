import ArgumentParser
import Foundation
import JunctionCore
import JunctionGateway
import JunctionServer
import JunctionStore
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Junction daemon: one engine for every client, the admin API and web UI.",
        discussion: """
            Serves MCP sessions from `junction stdio` on JUNCTION_HOME/junction.sock (0600) and the
            REST/SSE API under /api/v1 on http://HOST:PORT (and on the socket, without a key).
            The API key is in JUNCTION_HOME/api-key; the sign-in URL is printed at start and by
            `junction ui`. SIGINT or SIGTERM shuts down cleanly, within the shutdown_timeout_sec
            setting (default 10 s); a second one exits at once. Environment: JUNCTION_PORT,
            JUNCTION_HOST set the defaults of --port and --host.
            """)

    @Option(help: "Address to listen on (loopback unless --allow-remote).")
    var host: String = ProcessInfo.processInfo.environment["JUNCTION_HOST"] ?? "127.0.0.1"
    @Option(help: "HTTP port (0 takes a free one).")
    var port: Int = ProcessInfo.processInfo.environment["JUNCTION_PORT"].flatMap { Int($0) } ?? 8080
    @Flag(help: "Allow a non-loopback --host (the API key still applies).") var allowRemote = false
    @Flag(help: .hidden) var autoStarted = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
    }

    func run() async throws {
        let home = JunctionHome.resolve()
        try home.ensureExists()
        // A synchronous read: on the database executor, like all the daemon's (none on the pool).
        let level = await withTaskExecutorPreference(AppDatabase.executor) { Self.logLevel(home) }
        JunctionLogHandler.bootstrap(
            logFile: (home.logsPath as NSString).appendingPathComponent("junction.log"), level: level)
        var options = Daemon.Options()
        options.host = host
        options.port = port
        options.allowRemote = allowRemote
        options.autoStarted = autoStarted
        let autoStarted = autoStarted
        options.onReady = { info, apiKey in
            // Started by `junction stdio`, output goes to a log file: the key stays out of it.
            let address = autoStarted ? "\(info.url)/ (sign-in URL: junction ui)" : info.signInURL(apiKey: apiKey)
            let message = """
                Junction \(info.version) is serving (pid \(info.pid))
                  web UI and API: \(address)
                  MCP socket:     \(info.socket)

                """
            FileHandle.standardOutput.write(Data(message.utf8))
        }
        try await Daemon(home: home, options: options, logger: Logger(label: "junction.daemon")).run()
    }

    /// The `log_level` setting, read without keeping the database open.
    static func logLevel(_ home: JunctionHome) -> Logger.Level {
        guard let database = try? AppDatabase.open(path: home.databasePath),
            let level = try? SettingsRepository(database).value(.logLevel)
        else { return .info }
        return Logger.Level(rawValue: level) ?? .info
    }
}

struct UICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui", abstract: "Print the web UI's sign-in URL of the running daemon.")

    func run() throws {
        let home = JunctionHome.resolve()
        guard let info = DaemonInfo.read(home) else {
            throw CLIError("no Junction daemon is running for \(home.path); start one with: junction serve")
        }
        print(info.signInURL(apiKey: try APIKey.load(home: home)))
    }
}
