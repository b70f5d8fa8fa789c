import Foundation
import Hummingbird
import JunctionCore
import JunctionStore

/// `POST /api/v1/dry-run`: how a call would be routed and why (the same object as
/// `junction dry-run --json`), without making it.
struct DryRunController {
    let environment: ServerEnvironment

    struct DryRunRequest: Decodable {
        /// Route as a client pinned to this workspace (id or name)…
        var workspaceId: String?
        /// …or as a client working in this folder.
        var cwd: String?
        var toolName: String
        /// Checked to be an object; routing does not depend on it.
        var arguments: JSONValue?

        enum CodingKeys: String, CodingKey {
            case cwd, arguments
            case workspaceId = "workspace_id"
            case toolName = "tool_name"
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.post("dry-run") { request, context -> Response in
            let body = try await request.decodeJSON(DryRunRequest.self, context: context)
            guard !body.toolName.isEmpty else { throw APIError.badRequest("tool_name is required", field: "tool_name") }
            if let arguments = body.arguments, case .object = arguments {
            } else if body.arguments != nil && body.arguments != .null {
                throw APIError.badRequest("arguments must be a JSON object", field: "arguments")
            }
            switch (body.workspaceId, body.cwd) {
            case (nil, nil):
                throw APIError.badRequest("give workspace_id or cwd", field: "workspace_id")
            case (.some, .some):
                throw APIError.badRequest("give workspace_id or cwd, not both", field: "cwd")
            default:
                break
            }
            let decision = try DryRun.decide(
                environment.database, tool: body.toolName, workspace: body.workspaceId, clientRoot: body.cwd)
            return try APIResponse.json(decision)
        }
    }
}
