import ArgumentParser
import Foundation
import JunctionCore
import JunctionStore

struct DryRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dry-run",
        abstract: "Show how a tool call would be routed, and why, without making it.",
        usage: "junction dry-run (--cwd PATH | --workspace NAME) TOOL [--arguments JSON] [--json]",
        discussion: """
            TOOL is the client-visible name, NAMESPACE__TOOL. Without --cwd or --workspace the
            current folder is the client root. The trace lists every rule considered, in order.
            """)

    @Option(help: ArgumentHelp("The client's working folder (symlinks are resolved).", valueName: "PATH"))
    var cwd: String?
    @Option(help: "Route as a client pinned to this workspace (junction stdio --workspace).")
    var workspace: String?
    @Option(
        help: ArgumentHelp(
            "The call's arguments, a JSON object (checked; routing does not depend on them).", valueName: "JSON"))
    var arguments: String?
    @OptionGroup var output: OutputOptions
    @Argument(help: "Client-visible tool name, e.g. github__create_issue.") var tool: String

    func validate() throws {
        if cwd != nil && workspace != nil {
            throw ArgumentParser.ValidationError("give --cwd or --workspace, not both")
        }
    }

    func run() throws {
        if let arguments {
            let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(arguments.utf8))
            guard case .object = parsed else {
                throw CLIError("--arguments must be a JSON object, e.g. '{\"path\": \"README.md\"}'")
            }
        }
        let context = try CLIContext.open()
        let root = workspace == nil ? absolutePath(cwd ?? FileManager.default.currentDirectoryPath) : nil
        let decision = try DryRun.decide(context.database, tool: tool, workspace: workspace, clientRoot: root)
        if output.json { return try Output.json(decision) }
        printDecision(decision)
    }

    private func printDecision(_ decision: Decision) {
        print("tool:       \(decision.toolName)")
        print("decision:   \(decision.decision.rawValue)")
        print("reason:     \(decision.reason)")
        print("chain:      \(decision.chain.map(describe).joined(separator: " -> "))")
        if let rule = decision.matchedRule {
            print("rule:       \(rule.name ?? rule.id) (\(rule.scope), priority \(rule.priority), \(rule.toolPattern))")
        } else {
            print("rule:       none (default policy)")
        }
        if let server = decision.downstream {
            let target = decision.downstreamToolName.map { " as tool '\($0)'" } ?? ""
            print("server:     \(server.name) (namespace \(server.namespace))\(target)")
        } else {
            print("server:     none")
        }
        print("auth scope: \(decision.authScope?.name ?? "-")")
        guard let trace = decision.trace, !trace.isEmpty else {
            print("trace:      no rules considered")
            return
        }
        print("trace:")
        Output.table(
            ["  SCOPE", "RULE", "MATCHED", "WHY"],
            trace.map { ["  " + $0.scope, $0.ruleId, $0.matched ? "yes" : "no", $0.why] })
    }

    private func describe(_ scope: ScopeRef) -> String {
        switch scope.kind {
        case .global: "global"
        case .workspace: "\(scope.name) (\(scope.rootPath)\(scope.subpath.isEmpty ? "" : ", subpath \(scope.subpath)"))"
        }
    }
}
