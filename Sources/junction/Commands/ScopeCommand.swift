import ArgumentParser
import Foundation
import JunctionCore
import JunctionStore

struct ScopeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scope",
        abstract: "Manage auth scopes: credentials a server is started or called with, sealed at rest.",
        subcommands: [Add.self, Set.self, List.self, Show.self, Remove.self]
    )

    /// `--env` and `--header` values: `KEY=VALUE`, or a bare `KEY` read from the environment so the
    /// secret never appears in shell history or the process list.
    static func secrets(env: [String], headers: [String]) throws -> AuthScopeRepository.Secrets {
        AuthScopeRepository.Secrets(env: try resolve(env, field: "env"), headers: try resolve(headers, field: "header"))
    }

    private static func resolve(_ items: [String], field: String) throws -> [String: String] {
        var result: [String: String] = [:]
        let environment = ProcessInfo.processInfo.environment
        for item in items {
            if item.contains("=") {
                let (key, value) = try Validate.keyValue(item, field: field)
                result[key] = value
            } else {
                guard let value = environment[item] else {
                    throw CLIError(
                        "environment variable \(item) is not set (give --\(field) \(item)=VALUE, or export it first)")
                }
                result[item] = value
            }
        }
        return result
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an auth scope for a server.",
            usage: "junction scope add NAME --server NAME --env KEY=VALUE|KEY ... [--header KEY=VALUE|KEY ...]")

        @Argument(help: "Scope name.") var name: String
        @Option(help: "The server these credentials are for.") var server: String
        @Option(
            name: .customLong("env"), parsing: .upToNextOption,
            help: ArgumentHelp(
                "Secret environment variables; a bare KEY takes its value from your environment.",
                valueName: "KEY=VALUE|KEY"))
        var env: [String] = []
        @Option(
            name: .customLong("header"), parsing: .upToNextOption,
            help: ArgumentHelp("Secret HTTP headers for http servers.", valueName: "KEY=VALUE|KEY"))
        var headers: [String] = []
        @Option(
            name: .customLong("redact"),
            help: ArgumentHelp("Argument names to redact from audit, repeatable.", valueName: "KEY"))
        var redact: [String] = []
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let scope = try context.scopes(sealing: true).create(
                name: name, server: server, secrets: try ScopeCommand.secrets(env: env, headers: headers),
                redactionHints: redact)
            if output.json { return try Output.json(scope) }
            let keys = scope.envKeys + scope.headerKeys
            print(
                "Added scope '\(scope.name)' for server '\(server)' (\(keys.isEmpty ? "no secrets" : "sets " + keys.joined(separator: ", ")))."
            )
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set or remove secrets of a scope.")
        @Argument(help: "Scope name or id.") var name: String
        @Option(
            name: .customLong("env"), parsing: .upToNextOption,
            help: ArgumentHelp("Secret variables to set.", valueName: "KEY=VALUE|KEY"))
        var env: [String] = []
        @Option(
            name: .customLong("header"), parsing: .upToNextOption,
            help: ArgumentHelp("Secret headers to set.", valueName: "KEY=VALUE|KEY"))
        var headers: [String] = []
        @Option(name: .customLong("unset"), help: ArgumentHelp("A key to remove, repeatable.", valueName: "KEY"))
        var unset: [String] = []

        func run() throws {
            let scope = try CLIContext.open().scopes(sealing: true).updateSecrets(
                name, set: try ScopeCommand.secrets(env: env, headers: headers), removing: unset)
            let keys = scope.envKeys + scope.headerKeys
            print("Scope '\(scope.name)' now sets \(keys.isEmpty ? "nothing" : keys.joined(separator: ", ")).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List scopes and which keys they set (never values).")
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let scopes = try context.scopes(sealing: false).list()
            if output.json { return try Output.json(scopes) }
            if scopes.isEmpty {
                print("No auth scopes. Add one: junction scope add NAME --server SERVER --env KEY")
                return
            }
            let names = try RouteCommand.Names(context)
            Output.table(
                ["NAME", "SERVER", "KIND", "ENV KEYS (set)", "HEADER KEYS (set)"],
                scopes.map {
                    [
                        $0.name, names.server($0.downstreamId), $0.kind.rawValue,
                        $0.envKeys.isEmpty ? "-" : $0.envKeys.joined(separator: ","),
                        $0.headerKeys.isEmpty ? "-" : $0.headerKeys.joined(separator: ","),
                    ]
                })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one scope (which keys are set, never values).")
        @Argument(help: "Scope name or id.") var name: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let scope = try context.scopes(sealing: false).get(name)
            if output.json { return try Output.json(scope) }
            let names = try RouteCommand.Names(context)
            print("name:        \(scope.name)")
            print("id:          \(scope.id)")
            print("server:      \(names.server(scope.downstreamId))")
            print("kind:        \(scope.kind.rawValue)")
            print(
                "env:         \(scope.envKeys.isEmpty ? "-" : scope.envKeys.map { "\($0)=(set)" }.joined(separator: " "))"
            )
            print(
                "headers:     \(scope.headerKeys.isEmpty ? "-" : scope.headerKeys.map { "\($0)=(set)" }.joined(separator: " "))"
            )
            print("redact:      \(scope.redactionHints.isEmpty ? "-" : scope.redactionHints.joined(separator: ","))")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a scope.")
        @Argument(help: "Scope name or id.") var name: String
        @Flag(help: "Also remove the route rules that use it.") var force = false

        func run() throws {
            let (scope, rules) = try CLIContext.open().scopes(sealing: false).delete(name, force: force)
            print("Removed scope '\(scope.name)'\(rules.isEmpty ? "" : " and \(rules.count) route rule(s)").")
        }
    }
}
