import Foundation
import Hummingbird
import JunctionCore
import JunctionStore

/// `/api/v1/workspaces`: project roots with their own route rules and default policy.
///
/// `{id}` is a workspace's id or its name, as on the command line. Deleting a workspace deletes
/// its route rules with it (they mean nothing without it).
struct WorkspaceController {
    let environment: ServerEnvironment

    var repository: WorkspaceRepository { WorkspaceRepository(environment.database) }

    /// `POST /workspaces`. Unknown fields are ignored.
    struct CreateRequest: Decodable, Sendable {
        var name: String
        /// Absolute; normalised before it is stored.
        var rootPath: String
        /// `allow` (default), `deny` or `approve`.
        var defaultPolicy: String?
        var tags: [String: String]?
        /// Token-saving mode here; absent or null follows the `slim_tools` setting.
        var slimTools: Bool?

        enum CodingKeys: String, CodingKey {
            case name, tags
            case rootPath = "root_path"
            case defaultPolicy = "default_policy"
            case slimTools = "slim_tools"
        }
    }

    /// `PUT /workspaces/{id}`: a partial update. Absent fields keep their value; none of these
    /// fields may be `null`. `tags`, when given, replaces the whole set.
    struct UpdateRequest: Decodable, Sendable {
        var name: String?
        var rootPath: String?
        var defaultPolicy: String?
        var tags: [String: String]?
        /// nil: keep; `.some(nil)` (JSON null): follow the `slim_tools` setting again.
        var slimTools: Bool??

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CreateRequest.CodingKeys.self)
            name = try container.decodeUnlessNull(String.self, forKey: .name)
            rootPath = try container.decodeUnlessNull(String.self, forKey: .rootPath)
            defaultPolicy = try container.decodeUnlessNull(String.self, forKey: .defaultPolicy)
            tags = try container.decodeUnlessNull([String: String].self, forKey: .tags)
            if container.contains(.slimTools) {
                slimTools = .some(try container.decodeIfPresent(Bool.self, forKey: .slimTools))
            }
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        let workspaces = group.group("workspaces")
        workspaces.get(use: list)
        workspaces.post(use: create)
        workspaces.get(":id", use: show)
        workspaces.put(":id", use: update)
        workspaces.delete(":id", use: delete)
    }

    @Sendable func list(_ request: Request, context: APIContext) async throws -> [Workspace] {
        try repository.list()
    }

    @Sendable func show(_ request: Request, context: APIContext) async throws -> JSONResponse<Workspace> {
        JSONResponse(try repository.get(context.parameters.require("id")))
    }

    @Sendable func create(
        _ request: Request, context: APIContext
    ) async throws -> EditedResponse<JSONResponse<Workspace>> {
        let body = try await request.decodeJSON(CreateRequest.self, context: context)
        let workspace = Workspace(
            name: body.name, rootPath: body.rootPath,
            defaultPolicy: try body.defaultPolicy.map(Self.policy) ?? .allow, tags: body.tags ?? [:],
            slimTools: body.slimTools)
        return JSONResponse.created(
            try Self.saving { try repository.create(workspace) })
    }

    @Sendable func update(_ request: Request, context: APIContext) async throws -> JSONResponse<Workspace> {
        var workspace = try repository.get(context.parameters.require("id"))
        let body = try await request.decodeJSON(UpdateRequest.self, context: context)
        if let name = body.name { workspace.name = name }
        if let rootPath = body.rootPath { workspace.rootPath = rootPath }
        if let policy = body.defaultPolicy { workspace.defaultPolicy = try Self.policy(policy) }
        if let tags = body.tags { workspace.tags = tags }
        if let slimTools = body.slimTools { workspace.slimTools = slimTools }
        return JSONResponse(
            try Self.saving { [workspace] in try repository.update(workspace) })
    }

    @Sendable func delete(_ request: Request, context: APIContext) async throws -> HTTPResponse.Status {
        try repository.delete(context.parameters.require("id"))
        return .noContent
    }

    private static func policy(_ raw: String) throws -> Policy {
        try Validate.oneOf(raw, as: Policy.self, field: "default_policy")
    }

    /// Runs a write, naming the REST field when another workspace already has the root.
    private static func saving(_ write: () throws -> Workspace) throws -> Workspace {
        do {
            return try write()
        } catch let error as StoreError {
            if case .duplicate(let kind, "root", let value) = error {
                throw APIError.conflict("a \(kind) with root_path '\(value)' already exists", field: "root_path")
            }
            throw error
        }
    }
}
