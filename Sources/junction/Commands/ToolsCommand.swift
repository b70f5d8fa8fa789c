import ArgumentParser
import Foundation
import JunctionCore
import JunctionGateway
import JunctionStore

struct ToolsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tools",
        abstract: "Find tools in every server's catalog.",
        subcommands: [Search.self])

    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search the tools by what they do (BM25 over names, descriptions and parameters).",
            usage: "junction tools search QUERY [--limit N] [--workspace NAME] [--json]",
            discussion: """
                Searches the tools as last discovered, under their client-visible names. Words are
                split at _, __, dots, dashes and camelCase; a query equal to a tool's name finds it
                first. With --workspace, only tools its rules do not deny, with their decision.
                """)

        @Argument(help: "What you look for, e.g. \"create issue\" or github__create_issue.") var query: String
        @Option(help: "At most this many tools (1 to 1000).") var limit = 15
        @Option(help: "Only tools this workspace's rules allow (or send for approval), with their decision.")
        var workspace: String?
        @OptionGroup var output: OutputOptions

        struct Hit: Encodable {
            var name: String
            var server: String
            var score: Double
            var description: String?
            var decision: Policy?
        }

        func validate() throws {
            guard (1...1000).contains(limit) else { throw ArgumentParser.ValidationError("--limit must be 1 to 1000") }
            guard !ToolSearchIndex.decodeQuery(query).isEmpty else {
                throw ArgumentParser.ValidationError(
                    "give words to search for, e.g. junction tools search \"read file\"")
            }
        }

        func run() throws {
            let context = try CLIContext.open()
            let servers = Dictionary(
                try context.downstreams.list().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let searchable = SearchableTools(
                stored: try CatalogRepository(context.database).list(kind: .tool), servers: servers)
            var decide: (String) -> Decision? = { _ in nil }
            if let workspace {
                let named = try context.workspaces.get(workspace)
                let resolver = RouteResolver(config: try RoutingConfigLoader(context.database).load())
                decide = { resolver.resolve(tool: $0, workspaceName: named.name) }
            }
            let found = searchable.index.search(query, limit: limit) { index in
                decide(searchable.index.documents[index].name)?.decision != .deny
            }
            let hits = found.map { hit in
                Hit(
                    name: hit.name, server: servers[searchable.downstreamIds[hit.index]]?.name ?? "?",
                    score: (hit.score * 1000).rounded() / 1000,
                    description: searchable.tools[hit.index]["description"]?.stringValue,
                    decision: decide(hit.name)?.decision)
            }
            if output.json { return try Output.json(hits) }
            guard !hits.isEmpty else {
                print("no tool matches \"\(ToolSearchIndex.decodeQuery(query))\"; try other words, or fewer")
                return
            }
            var header = ["NAME", "SERVER", "SCORE"]
            if workspace != nil { header.append("DECISION") }
            header.append("DESCRIPTION")
            Output.table(
                header,
                hits.map { hit in
                    var row = [hit.name, hit.server, String(format: "%.2f", hit.score)]
                    if workspace != nil { row.append(hit.decision?.rawValue ?? "-") }
                    row.append(Self.firstLine(hit.description))
                    return row
                })
        }

        /// The description's first line, cut to fit a terminal row.
        static func firstLine(_ text: String?) -> String {
            let line = text?.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? "-"
            return line.count > 80 ? String(line.prefix(79)) + "…" : line
        }
    }
}
