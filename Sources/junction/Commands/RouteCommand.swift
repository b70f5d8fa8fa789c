import ArgumentParser
import Foundation
import JunctionCore
import JunctionStore

struct RouteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "route",
        abstract: "Manage route rules: which tools a workspace sees, who serves them, and what needs approval.",
        subcommands: [Add.self, List.self, Show.self, Remove.self, Enable.self, Disable.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a route rule to a workspace or to the global scope.",
            usage: """
                junction route add (--workspace NAME | --global) --tool GLOB [--server NAME] [--policy allow|deny|approve]
                                   [--priority N] [--path GLOB] [--scope NAME] [--name NAME]
                """)

        @Option(help: "The workspace the rule belongs to.") var workspace: String?
        @Flag(help: "A global rule, considered after every workspace's rules.") var global = false
        @Option(help: ArgumentHelp("Client-visible tool names it applies to (glob: * ? [a-z]).", valueName: "GLOB"))
        var tool: String
        @Option(help: "Server that serves matching calls (default: the namespace's owner).") var server: String?
        @Option(help: "What happens to matching calls.") var policy: Policy = .allow
        @Option(parsing: .unconditional, help: "Higher priority rules are considered first (may be negative).")
        var priority: Int = 0
        @Option(
            help: ArgumentHelp("Subpath of the workspace the rule applies in (** spans folders).", valueName: "GLOB"))
        var path: String = RouteRule.defaultPathGlob
        @Option(help: "Auth scope whose credentials serve matching calls.") var scope: String?
        @Option(help: "A name to refer to the rule by.") var name: String?
        @Option(help: ArgumentHelp("Seconds an approval may wait (policy approve).", valueName: "SECONDS"))
        var approvalTimeout: Int?
        @Option(help: ArgumentHelp("Cache results of matching calls this long.", valueName: "SECONDS"))
        var cacheTTL: Int?
        @Flag(help: "Add it disabled.") var disabled = false
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if (workspace == nil) == !global {
                throw ArgumentParser.ValidationError("give exactly one of --workspace NAME or --global")
            }
        }

        func run() throws {
            let context = try CLIContext.open()
            let workspaceId = try workspace.map { try context.workspaces.get($0).id }
            let serverId = try server.map { try context.downstreams.get($0).id }
            let scopeId = try scope.map { try context.scopes(sealing: false).get($0).id }
            let rule = try context.routes.create(
                RouteRule(
                    name: name, workspaceId: workspaceId, pathGlob: path, toolPattern: tool, downstreamId: serverId,
                    authScopeId: scopeId, policy: policy, priority: priority, approvalTimeoutSec: approvalTimeout,
                    cacheTTLSec: cacheTTL, enabled: !disabled))
            if output.json { return try Output.json(rule) }
            print(
                "Added route \(rule.name.map { "'\($0)' " } ?? "")\(rule.id): \(rule.policy.rawValue) \(rule.toolPattern) in \(workspace.map { "workspace '\($0)'" } ?? "the global scope")."
            )
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List rules in the order the resolver considers them within each scope.")
        @Option(help: "Only this workspace's rules.") var workspace: String?
        @Flag(help: "Only global rules.") var global = false
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let filter: RouteRuleRepository.Filter =
                if let workspace { .workspace(id: try context.workspaces.get(workspace).id) } else if global {
                    .global
                } else { .all }
            let rules = try context.routes.list(filter)
            if output.json { return try Output.json(rules) }
            if rules.isEmpty {
                print("No route rules. Add one: junction route add --global --tool 'ns__*' --policy allow")
                return
            }
            try RouteCommand.printTable(rules, context: context)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one rule.")
        @Argument(help: "Rule id or name.") var rule: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let rule = try context.routes.get(rule)
            if output.json { return try Output.json(rule) }
            let names = try Names(context)
            print("id:               \(rule.id)")
            print("name:             \(rule.name ?? "-")")
            print("scope:            \(names.workspace(rule.workspaceId))")
            print("tool pattern:     \(rule.toolPattern)")
            print("path glob:        \(rule.pathGlob)")
            print("policy:           \(rule.policy.rawValue)")
            print("priority:         \(rule.priority)")
            print("server:           \(names.server(rule.downstreamId))")
            print("auth scope:       \(names.scope(rule.authScopeId))")
            print("approval timeout: \(rule.approvalTimeoutSec.map { "\($0)s" } ?? "default")")
            print("cache ttl:        \(rule.cacheTTLSec.map { "\($0)s" } ?? "-")")
            print("enabled:          \(rule.enabled ? "yes" : "no")")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Remove a rule.")
        @Argument(help: "Rule id or name.") var rule: String

        func run() throws {
            let rule = try CLIContext.open().routes.delete(rule)
            print("Removed route \(rule.name.map { "'\($0)' " } ?? "")\(rule.id).")
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a rule.")
        @Argument(help: "Rule id or name.") var rule: String

        func run() throws {
            let rule = try CLIContext.open().routes.setEnabled(rule, true)
            print("Route \(rule.name ?? rule.id) is enabled.")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a rule: the resolver skips it.")
        @Argument(help: "Rule id or name.") var rule: String

        func run() throws {
            let rule = try CLIContext.open().routes.setEnabled(rule, false)
            print("Route \(rule.name ?? rule.id) is disabled.")
        }
    }

    static func printTable(_ rules: [RouteRule], context: CLIContext) throws {
        let names = try Names(context)
        Output.table(
            ["ID", "NAME", "SCOPE", "PRIO", "TOOL", "PATH", "POLICY", "SERVER", "AUTH", "ENABLED"],
            rules.map { rule in
                [
                    rule.id, rule.name ?? "-", names.workspace(rule.workspaceId), String(rule.priority),
                    rule.toolPattern, rule.pathGlob, rule.policy.rawValue, names.server(rule.downstreamId),
                    names.scope(rule.authScopeId), rule.enabled ? "yes" : "no",
                ]
            })
    }

    /// Id → name lookups for display.
    struct Names {
        let workspaces: [String: String]
        let servers: [String: String]
        let scopes: [String: String]

        init(_ context: CLIContext) throws {
            workspaces = Dictionary(
                try context.workspaces.list().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            servers = Dictionary(
                try context.downstreams.list().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
            scopes = Dictionary(
                try context.scopes(sealing: false).list().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        }

        func workspace(_ id: String?) -> String { id.map { workspaces[$0] ?? $0 } ?? "global" }
        func server(_ id: String?) -> String { id.map { servers[$0] ?? $0 } ?? "(namespace owner)" }
        func scope(_ id: String?) -> String { id.map { scopes[$0] ?? $0 } ?? "-" }
    }
}
