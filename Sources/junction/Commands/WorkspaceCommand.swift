import ArgumentParser
import Foundation
import JunctionCore
import JunctionStore

struct WorkspaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace",
        abstract: "Manage workspaces: project roots with their own rules and default policy.",
        subcommands: [Add.self, List.self, Show.self, Remove.self]
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
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let workspace = try context.workspaces.create(
                Workspace(
                    name: name, rootPath: absolutePath(root), defaultPolicy: defaultPolicy,
                    tags: try parsePairs(tags, field: "tags")))
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
            let rules = try context.routes.list(.workspace(id: workspace.id))
            print("rules:          \(rules.isEmpty ? "none" : "")")
            if !rules.isEmpty {
                try RouteCommand.printTable(rules, context: context)
            }
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
