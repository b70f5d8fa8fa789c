import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// `GET /api/v1/tools?q=&limit=&workspace_id=`: every server's stored tools under their
/// client-visible names. With `q`, a BM25 search (MCPProxy's shape: best first, each hit with its
/// `server` and `score`; an exact client-visible name first); without, the tools by name. With
/// `workspace_id`, each hit carries the decision that workspace's rules give it.
struct ToolsController {
    let environment: ServerEnvironment

    struct Hit: Encodable {
        var name: String
        var toolName: String
        var serverId: String
        /// The server's name (MCPProxy's `server`); `server_name` says the same.
        var server: String?
        var serverName: String?
        var title: String?
        var description: String?
        var inputSchema: JSONValue?
        var annotations: JSONValue?
        var decision: Policy?
        /// The BM25 score of a search hit.
        var score: Double?

        enum CodingKeys: String, CodingKey {
            case name, server, title, description, annotations, decision, score
            case toolName = "tool_name"
            case serverId = "server_id"
            case serverName = "server_name"
            case inputSchema = "input_schema"
        }
    }

    struct Results: Encodable {
        var query: String
        var tools: [Hit]
    }

    /// Hits when the request says no `limit`: MCPProxy's 15 for a search, 50 for a listing.
    static let searchLimit = 15
    static let listLimit = 50

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("tools") { request, _ -> Response in
            let query = ToolSearchIndex.decodeQuery(request.uri.queryParameters["q"].map(String.init) ?? "")
            let limit = try request.queryInt(
                "limit", default: query.isEmpty ? Self.listLimit : Self.searchLimit, in: 1...1000)
            var workspace: Workspace?
            if let requested = request.uri.queryParameters["workspace_id"], !requested.isEmpty {
                workspace = try WorkspaceRepository(environment.database).get(String(requested))
            }
            let servers = Dictionary(
                try DownstreamRepository(environment.database).list().map { ($0.id, $0) },
                uniquingKeysWith: { first, _ in first })
            let engine = environment.engine
            func decision(_ visible: String) -> Policy? {
                workspace.flatMap { engine.route(tool: visible, workspaceName: $0.name)?.decision }
            }
            guard !query.isEmpty else {
                let entries = try CatalogRepository(environment.database).search(query: "", limit: limit)
                let hits = entries.map { entry -> Hit in
                    let server = servers[entry.downstreamId]
                    let visible = server.map { ToolNaming.visibleName(namespace: $0.namespace, name: entry.name) }
                    return Hit(
                        name: visible ?? entry.name, toolName: entry.name, serverId: entry.downstreamId,
                        server: server?.name, serverName: server?.name, title: entry.title,
                        description: entry.description, inputSchema: Self.decode(entry.inputSchema),
                        annotations: Self.decode(entry.annotations), decision: visible.flatMap(decision))
                }
                return try APIResponse.json(Results(query: query, tools: hits))
            }
            let searchable = try searchableCatalog(servers: servers)
            let hits = searchable.index.search(query, limit: limit).map { hit -> Hit in
                let tool = searchable.tools[hit.index]
                let serverId = searchable.downstreamIds[hit.index]
                let server = servers[serverId]
                return Hit(
                    name: hit.name, toolName: searchable.index.documents[hit.index].toolName ?? hit.name,
                    serverId: serverId, server: server?.name, serverName: server?.name,
                    title: tool["title"]?.stringValue, description: tool["description"]?.stringValue,
                    inputSchema: Self.decode(tool["inputSchema"]?.description),
                    annotations: Self.decode(tool["annotations"]?.description), decision: decision(hit.name),
                    score: (hit.score * 1000).rounded() / 1000)
            }
            return try APIResponse.json(Results(query: query, tools: hits))
        }
    }

    /// The stored tools of every server as a search index, rebuilt only when a server's tools or
    /// namespace changed since the last search.
    private func searchableCatalog(servers: [String: Downstream]) throws -> SearchableTools {
        let catalog = CatalogRepository(environment.database)
        var namespaces = Hasher()
        for server in servers.values.sorted(by: { $0.id < $1.id }) {
            namespaces.combine(server.id)
            namespaces.combine(server.namespace)
        }
        let key = [try catalog.toolsFingerprint(), namespaces.finalize()]
        return environment.engine.toolSearch.searchable(slot: "catalog", key: key) {
            SearchableTools(stored: (try? catalog.list(kind: .tool)) ?? [], servers: servers)
        }
    }

    private static func decode(_ json: String?) -> JSONValue? {
        json.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
    }
}
