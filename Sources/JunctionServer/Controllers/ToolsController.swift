import Foundation
import Hummingbird
import JunctionCore
import JunctionStore

/// `GET /api/v1/tools?q=&limit=&workspace_id=`: search every server's stored tool catalog by
/// name, title and description, best match first. Each hit carries its client-visible name and,
/// with `workspace_id`, the decision that workspace's rules give it.
struct ToolsController {
    let environment: ServerEnvironment

    struct Hit: Encodable {
        var name: String
        var toolName: String
        var serverId: String
        var serverName: String?
        var title: String?
        var description: String?
        var inputSchema: JSONValue?
        var annotations: JSONValue?
        var decision: Policy?

        enum CodingKeys: String, CodingKey {
            case name, title, description, annotations, decision
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

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("tools") { request, _ -> Response in
            let query = request.uri.queryParameters["q"].map(String.init) ?? ""
            let limit = try request.queryInt("limit", default: 50, in: 1...1000)
            var workspace: Workspace?
            if let requested = request.uri.queryParameters["workspace_id"], !requested.isEmpty {
                workspace = try WorkspaceRepository(environment.database).get(String(requested))
            }
            let entries = try CatalogRepository(environment.database).search(query: query, limit: limit)
            let servers = Dictionary(
                try DownstreamRepository(environment.database).list().map { ($0.id, $0) },
                uniquingKeysWith: { first, _ in first })
            let resolver = environment.engine.routing.resolver
            let hits = entries.compactMap { entry -> Hit? in
                let server = servers[entry.downstreamId]
                let visible = server.map { ToolNaming.visibleName(namespace: $0.namespace, name: entry.name) }
                let decision = workspace.flatMap { workspace in
                    visible.flatMap { resolver.resolve(tool: $0, workspaceName: workspace.name)?.decision }
                }
                return Hit(
                    name: visible ?? entry.name, toolName: entry.name, serverId: entry.downstreamId,
                    serverName: server?.name, title: entry.title, description: entry.description,
                    inputSchema: Self.decode(entry.inputSchema), annotations: Self.decode(entry.annotations),
                    decision: decision)
            }
            return try APIResponse.json(Results(query: query, tools: hits))
        }
    }

    private static func decode(_ json: String?) -> JSONValue? {
        json.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
    }
}
