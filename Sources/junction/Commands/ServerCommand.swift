import ArgumentParser
import Foundation
import JunctionCore
import JunctionStore

struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Manage downstream MCP servers.",
        subcommands: [
            Add.self, List.self, Show.self, Status.self, Update.self, Remove.self, Enable.self, Disable.self,
            Quarantine.self, Approve.self, ToolChanges.self, ApproveTools.self,
        ]
    )

    enum Instance: String, ExpressibleByArgument, CaseIterable {
        case shared
        case perSession = "per-session"

        init?(argument: String) {
            switch argument {
            case "shared": self = .shared
            case "per-session", "per_session": self = .perSession
            default: return nil
            }
        }

        var mode: Downstream.InstanceMode { self == .shared ? .shared : .perSession }
    }

    /// `--transport` of a URL server.
    enum HTTPFlavour: String, ExpressibleByArgument, CaseIterable {
        case auto
        case streamableHTTP = "streamable-http"
        case sse

        var flavour: Downstream.HTTPTransport { Downstream.HTTPTransport(rawValue: rawValue) ?? .auto }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a server: a command to start (stdio), or --url for a remote (HTTP) server.",
            usage: """
                junction server add NAME [--namespace NS] [--env K=V]... [--cwd DIR] [--instance shared|per-session] -- COMMAND [ARGS...]
                junction server add NAME --url URL [--header K=V]... [--transport auto|streamable-http|sse]
                """)

        @Argument(help: "Server name ([A-Za-z0-9._-], up to 64).") var name: String
        @Option(help: "Tool name prefix ([a-z0-9-], up to 24); defaults to the lowercased name.")
        var namespace: String?
        @Option(
            name: .customLong("env"),
            help: ArgumentHelp(
                "Non-secret environment variable, repeatable (secrets: junction scope add).", valueName: "K=V"))
        var env: [String] = []
        @Option(help: ArgumentHelp("Working directory of the server process.", valueName: "DIR")) var cwd: String?
        @Option(help: "One process shared by all sessions, or one per session.") var instance: Instance = .shared
        @Option(help: "URL of a remote MCP server (instead of a command).") var url: String?
        @Option(
            help: ArgumentHelp(
                "How the URL server is spoken to: auto (streamable HTTP, falling back to legacy SSE), "
                    + "streamable-http or sse.", valueName: "auto|streamable-http|sse"))
        var transport: HTTPFlavour?
        @Option(
            name: .customLong("header"), help: ArgumentHelp("Non-secret HTTP header, repeatable.", valueName: "K=V"))
        var headers: [String] = []
        @Option(help: ArgumentHelp("Seconds before an idle server is stopped (0: never).", valueName: "SECONDS"))
        var idleTimeout: Int = Downstream.defaultIdleTimeoutSec
        @Option(help: ArgumentHelp("Seconds a tool call may take.", valueName: "SECONDS"))
        var callTimeout: Int = Downstream.defaultCallTimeoutSec
        @Option(
            help: ArgumentHelp(
                "Tool calls it runs at once, more wait in line (0: no cap; default: the setting "
                    + "max_concurrent_calls).", valueName: "N|default"))
        var maxConcurrentCalls: ConcurrencyCap?
        @Option(name: .customLong("tag"), help: ArgumentHelp("A tag, repeatable.", valueName: "K=V")) var tags:
            [String] = []
        @Flag(help: "Add it disabled.") var disabled = false
        @OptionGroup var output: OutputOptions
        @Argument(parsing: .postTerminator, help: "The command that starts the server, after --.")
        var command: [String] = []

        func validate() throws {
            if url != nil && !command.isEmpty {
                throw ArgumentParser.ValidationError("give either --url or a command after --, not both")
            }
            if url == nil && command.isEmpty {
                throw ArgumentParser.ValidationError(
                    "missing the command: junction server add \(name) -- COMMAND [ARGS...] (or --url URL)")
            }
            if url == nil && transport != nil {
                throw ArgumentParser.ValidationError("--transport is for a URL server (--url URL)")
            }
        }

        func run() throws {
            let context = try CLIContext.open()
            let downstream = try context.downstreams.create(
                Downstream(
                    name: name,
                    namespace: namespace,
                    transport: url == nil ? .stdio : .http,
                    command: command.first,
                    args: Array(command.dropFirst()),
                    env: try parsePairs(env, field: "env"),
                    cwd: cwd.map(absolutePath),
                    url: url,
                    headers: try parsePairs(headers, field: "headers"),
                    httpTransport: transport?.flavour ?? .auto,
                    enabled: !disabled,
                    instanceMode: instance.mode,
                    idleTimeoutSec: idleTimeout,
                    callTimeoutSec: callTimeout,
                    maxConcurrentCalls: maxConcurrentCalls?.value,
                    tags: try parsePairs(tags, field: "tags")))
            if output.json { return try Output.json(downstream) }
            if downstream.quarantined {
                print(
                    "Added server '\(downstream.name)', quarantined (setting quarantine_new_servers): its tools stay "
                        + "hidden until you review them and run: junction server approve \(downstream.name)")
                return
            }
            print("Added server '\(downstream.name)'; its tools appear as \(downstream.namespace)__<tool>.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List servers.")
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let context = try CLIContext.open()
            let servers = try context.downstreams.list()
            if output.json { return try Output.json(servers) }
            if servers.isEmpty {
                print("No servers. Add one: junction server add NAME -- COMMAND [ARGS...]")
                return
            }
            // What runs and its health come from the daemon, when one answers.
            let live = await ServerCommand.liveStatus()
            Output.table(
                ["NAME", "NAMESPACE", "TRANSPORT", "STATE", "INSTANCE", "RUNNING", "HEALTH", "COMMAND"],
                servers.map { server in
                    [
                        server.name, server.namespace, server.transport.rawValue,
                        server.quarantined ? "quarantined" : (server.enabled ? "enabled" : "disabled"),
                        server.instanceMode.rawValue, live[server.id]?.state ?? "-", live[server.id]?.health ?? "-",
                        ServerCommand.commandLine(server),
                    ]
                })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one server.")
        @Argument(help: "Server name or id.") var name: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let server = try context.downstreams.get(name)
            if output.json { return try Output.json(server) }
            print("name:         \(server.name)")
            print("id:           \(server.id)")
            print("namespace:    \(server.namespace)")
            let flavour = server.transport == .http ? " (\(server.httpTransport.rawValue))" : ""
            print("transport:    \(server.transport.rawValue)\(flavour)")
            print("command:      \(ServerCommand.commandLine(server))")
            print("env:          \(Output.pairs(server.env))")
            if let cwd = server.cwd { print("cwd:          \(cwd)") }
            if !server.headers.isEmpty { print("headers:      \(Output.pairs(server.headers))") }
            print("state:        \(server.quarantined ? "quarantined" : (server.enabled ? "enabled" : "disabled"))")
            print("instance:     \(server.instanceMode.rawValue)")
            print("idle timeout: \(server.idleTimeoutSec)s")
            print("call timeout: \(server.callTimeoutSec)s")
            print(
                "max calls:    \(server.maxConcurrentCalls.map { $0 == 0 ? "no cap" : "\($0) at once" } ?? "the setting")"
            )
            print("tags:         \(Output.pairs(server.tags))")
            let scopes = try context.scopes(sealing: false).list(downstreamId: server.id).map(\.name)
            print("auth scopes:  \(scopes.isEmpty ? "-" : scopes.joined(separator: ", "))")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove a server and its auth scopes.")
        @Argument(help: "Server name or id.") var name: String
        @Flag(help: "Also remove the route rules that name it or its scopes.") var force = false

        func run() throws {
            let context = try CLIContext.open()
            let deletion = try context.downstreams.delete(name, force: force)
            var extra: [String] = []
            if !deletion.deletedScopes.isEmpty { extra.append("\(deletion.deletedScopes.count) auth scope(s)") }
            if !deletion.deletedRules.isEmpty { extra.append("\(deletion.deletedRules.count) route rule(s)") }
            print(
                "Removed server '\(deletion.downstream.name)'\(extra.isEmpty ? "" : " with " + extra.joined(separator: " and "))."
            )
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a server.")
        @Argument(help: "Server name or id.") var name: String

        func run() throws {
            let server = try CLIContext.open().downstreams.setEnabled(name, true)
            print("Server '\(server.name)' is enabled.")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a server: its tools disappear from every client.")
        @Argument(help: "Server name or id.") var name: String

        func run() throws {
            let server = try CLIContext.open().downstreams.setEnabled(name, false)
            print("Server '\(server.name)' is disabled.")
        }
    }

    static func commandLine(_ server: Downstream) -> String {
        if server.transport == .http { return server.url ?? "-" }
        return ([server.command ?? ""] + server.args).map(Output.shellWord).joined(separator: " ")
    }
}
