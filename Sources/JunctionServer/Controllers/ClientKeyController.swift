import Foundation
import Hummingbird
import JunctionCore
import JunctionStore

/// `/api/v1/client-keys`: named keys for MCP over HTTP (`/mcp`, `/rpc`), one per person or agent,
/// optionally bound to a workspace. The key itself is in the creation's answer only; listings
/// show its first characters. `{id}` is a key's id or name. Deleting revokes it at once.
struct ClientKeyController {
    let environment: ServerEnvironment

    var repository: ClientKeyRepository { ClientKeyRepository(environment.database) }

    struct CreateRequest: Decodable, Sendable {
        var name: String
        /// A workspace's name or id: every session made with the key routes from it.
        var workspace: String?
    }

    /// A key as the API shows it (never its hash).
    struct View: Encodable, Sendable {
        var id: String
        var name: String
        var prefix: String
        var workspaceId: String?
        var workspace: String?
        var createdAt: Date
        /// The key: in the creation's answer only.
        var key: String?

        enum CodingKeys: String, CodingKey {
            case id, name, prefix, workspace, key
            case workspaceId = "workspace_id"
            case createdAt = "created_at"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(prefix, forKey: .prefix)
            try container.encode(workspaceId, forKey: .workspaceId)
            try container.encode(workspace, forKey: .workspace)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encodeIfPresent(key, forKey: .key)
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        let keys = group.group("client-keys")
        keys.get { _, _ -> Response in
            try APIResponse.json(try repository.list().map(view))
        }
        keys.post { request, context -> Response in
            let body = try await request.decodeJSON(CreateRequest.self, context: context)
            let created = try repository.create(name: body.name, workspace: body.workspace)
            var shown = try view(created.key)
            shown.key = created.secret
            return try APIResponse.json(shown, status: .created)
        }
        keys.get(":id") { _, context -> Response in
            try APIResponse.json(try view(repository.get(context.parameters.require("id"))))
        }
        keys.delete(":id") { _, context -> Response in
            try repository.revoke(context.parameters.require("id"))
            return APIResponse.noContent()
        }
    }

    private func view(_ key: ClientKey) throws -> View {
        let workspace = try key.workspaceId.flatMap { try WorkspaceRepository(environment.database).find($0)?.name }
        return View(
            id: key.id, name: key.name, prefix: key.prefix, workspaceId: key.workspaceId, workspace: workspace,
            createdAt: key.createdAt)
    }
}
