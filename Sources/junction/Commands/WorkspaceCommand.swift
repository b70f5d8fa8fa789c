import ArgumentParser
import Foundation
import JunctionCore
import JunctionStore

struct WorkspaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace",
        abstract: "Manage workspaces: project roots with their own rules and default policy.",
        subcommands: [Add.self, List.self, Show.self, SlimTools.self, Remove.self]
    )

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a workspace.")

        @Argument(help: "Workspace name ([A-Za-z0-9._-], up to 64).") var name: String
        @Option(
            help: ArgumentHelp("Project root; relative paths are taken from the current folder.", valueName: "PATH"))
        var root: String
        @Option(help: "Decision when no rule matches.") var defaultPolicy: Policy = .allow
        @Option(name: .customLong("tag"), help: ArgumentHelp("A tag, repeatable.", valueName: "K=V")) var tags:
            [String] = []
        @Option(help: "Token-saving mode here: on, off or inherit (the slim_tools setting).")
        var slimTools: SlimTools.Mode = .inherit
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let workspace = try context.workspaces.create(
                Workspace(
                    name: name, rootPath: absolutePath(root), defaultPolicy: defaultPolicy,
                    tags: try parsePairs(tags, field: "tags"), slimTools: slimTools.value))
            if output.json { return try Output.json(workspace) }
            print(
                "Added workspace '\(workspace.name)' at \(workspace.rootPath) (default \(workspace.defaultPolicy.rawValue))."
            )
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List workspaces.")
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let workspaces = try context.workspaces.list()
            if output.json { return try Output.json(workspaces) }
            if workspaces.isEmpty {
                print("No workspaces. Add one: junction workspace add NAME --root PATH")
                return
            }
            let ruleCounts = Dictionary(grouping: try context.routes.list(), by: { $0.workspaceId ?? "" })
            Output.table(
                ["NAME", "ROOT", "DEFAULT", "RULES", "TAGS"],
                workspaces.map {
                    [
                        $0.name, $0.rootPath, $0.defaultPolicy.rawValue, String(ruleCounts[$0.id]?.count ?? 0),
                        Output.pairs($0.tags),
                    ]
                })
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one workspace and its rules.")
        @Argument(help: "Workspace name or id.") var name: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let workspace = try context.workspaces.get(name)
            if output.json { return try Output.json(workspace) }
            print("name:           \(workspace.name)")
            print("id:             \(workspace.id)")
            print("root:           \(workspace.rootPath)")
            print("default policy: \(workspace.defaultPolicy.rawValue)")
            print("tags:           \(Output.pairs(workspace.tags))")
            print("slim tools:     \(SlimTools.Mode(workspace.slimTools).rawValue)")
            let rules = try context.routes.list(.workspace(id: workspace.id))
            print("rules:          \(rules.isEmpty ? "none" : "")")
            if !rules.isEmpty {
                try RouteCommand.printTable(rules, context: context)
            }
        }
    }

    struct SlimTools: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "slim-tools",
            abstract: "Token-saving mode for clients in a workspace.",
            discussion: """
                on: tools/list shows only junction__search_tools and junction__call_tool, which find
                and call every tool the workspace's rules allow. off: every tool is listed. inherit:
                the enclosing workspace decides, else the slim_tools setting.
                """)

        enum Mode: String, ExpressibleByArgument, CaseIterable {
            case on, off, inherit

            init(_ value: Bool?) {
                self = value.map { $0 ? .on : .off } ?? .inherit
            }

            var value: Bool? {
                switch self {
                case .on: true
                case .off: false
                case .inherit: nil
                }
            }
        }

        @Argument(help: "Workspace name or id.") var name: String
        @Argument(help: "on, off or inherit.") var mode: Mode
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            var workspace = try context.workspaces.get(name)
            workspace.slimTools = mode.value
            workspace = try context.workspaces.update(workspace)
            if output.json { return try Output.json(workspace) }
            print("Workspace '\(workspace.name)': slim tools \(mode.rawValue).")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rm", abstract: "Remove a workspace and its rules.")
        @Argument(help: "Workspace name or id.") var name: String

        func run() throws {
            let context = try CLIContext.open()
            let (workspace, rules) = try context.workspaces.delete(name)
            print("Removed workspace '\(workspace.name)'\(rules > 0 ? " and its \(rules) rule(s)" : "").")
        }
    }
}

/// Makes a command-line path absolute against the current folder; normalisation happens in the store.
func absolutePath(_ path: String) -> String {
    let expanded = (path as NSString).expandingTildeInPath
    if expanded.hasPrefix("/") { return expanded }
    return (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(expanded)
}
