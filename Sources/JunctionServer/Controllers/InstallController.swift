import Foundation
import Hummingbird
import JunctionCore
import JunctionInstall
import JunctionStore

/// Junction in the user's AI clients, as `junction clients|install|uninstall` do it:
/// `GET /api/v1/mcp-install/status`, `GET /api/v1/mcp-install/{clientId}/preview`,
/// `POST /api/v1/mcp-install/{clientId}/install` and `POST …/uninstall`. Files are edited in
/// place (other entries, order and comments kept), backed up, and replaced atomically.
struct InstallController {
    let environment: ServerEnvironment

    struct InstallRequest: Decodable {
        /// The client's project configuration under this folder instead of the user's.
        var project: String?
        /// Route the client as this workspace.
        var workspace: String?
        /// Install even though the client was not detected on this machine.
        var force: Bool?
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("mcp-install/status") { request, _ -> Response in
            let project = try Self.validProject(request.uri.queryParameters["project"].map(String.init))
            let entry = JunctionEntry(command: JunctionExecutable.current())
            let statuses = Client.all.map {
                Installer.status(of: $0, entry: entry, project: project, environment: environment.clients)
            }
            return try APIResponse.json(statuses)
        }
        group.get("mcp-install/{clientId}/preview") { request, context -> Response in
            let parameters = request.uri.queryParameters
            let body = InstallRequest(
                project: try Self.validProject(parameters["project"].map(String.init)),
                workspace: parameters["workspace"].map(String.init))
            return try APIResponse.json(try install(context.parameters.require("clientId"), body, preview: true))
        }
        group.post("mcp-install/{clientId}/install") { request, context -> Response in
            var body = try await Self.optionalBody(request, context: context)
            body.project = try Self.validProject(body.project)
            return try APIResponse.json(try install(context.parameters.require("clientId"), body, preview: false))
        }
        group.post("mcp-install/{clientId}/uninstall") { request, context -> Response in
            var body = try await Self.optionalBody(request, context: context)
            body.project = try Self.validProject(body.project)
            let client = try Self.client(context.parameters.require("clientId"))
            let outcome = try Self.mapping { () throws(InstallError) in
                try Installer.uninstall(
                    from: try InstallTarget(client: client, project: body.project, environment: environment.clients))
            }
            return try APIResponse.json(outcome)
        }
    }

    private func install(_ clientId: String, _ body: InstallRequest, preview: Bool) throws -> InstallOutcome {
        let client = try Self.client(clientId)
        if let workspace = body.workspace {
            guard (try? WorkspaceRepository(environment.database).get(workspace)) != nil else {
                throw APIError.badRequest("workspace '\(workspace)' not found", field: "workspace")
            }
        }
        let entry = JunctionEntry(command: JunctionExecutable.current(), workspace: body.workspace)
        if !preview, body.project == nil, body.force != true {
            let status = Installer.status(of: client, entry: entry, environment: environment.clients)
            guard status.detected else {
                throw APIError(
                    .conflict, code: "not_detected",
                    "\(client.name) was not found on this machine (no \(status.configPath)); "
                        + "send \"force\": true to create its configuration anyway")
            }
        }
        return try Self.mapping { () throws(InstallError) in
            try Installer.install(
                entry, into: try InstallTarget(client: client, project: body.project, environment: environment.clients),
                preview: preview)
        }
    }

    /// A project folder as the API takes it: an absolute path, without NUL, to a folder that
    /// exists. The daemon's working directory means nothing to a caller, so a relative path is
    /// refused rather than resolved against it, and a missing folder is refused rather than
    /// created: the API writes into folders the user made, never makes them.
    static func validProject(_ project: String?) throws -> String? {
        guard let project else { return nil }
        guard !project.contains("\0") else {
            throw APIError.badRequest("project must not contain a NUL character", field: "project")
        }
        guard project.hasPrefix("/") else {
            throw APIError.badRequest(
                "project must be an absolute path to an existing folder (got '\(project)')", field: "project")
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: project, isDirectory: &isDirectory) else {
            throw APIError.badRequest(
                "project folder '\(project)' does not exist; create it first", field: "project")
        }
        guard isDirectory.boolValue else {
            throw APIError.badRequest("project '\(project)' is not a folder", field: "project")
        }
        return project
    }

    private static func client(_ id: String) throws -> Client {
        do {
            return try Client.named(id)
        } catch {
            throw APIError.notFound(error.description)
        }
    }

    /// The install error as the API says it: the user's file is the problem (409), or the request.
    private static func mapping<T>(_ body: () throws(InstallError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            switch error {
            case .unknownClient:
                throw APIError.notFound(error.description)
            case .noProjectScope:
                throw APIError.badRequest(error.description, field: "project")
            case .syntax, .unsupported:
                throw APIError(.conflict, code: "config_invalid", error.description)
            case .io:
                throw APIError(.conflict, code: "config_unwritable", error.description)
            }
        }
    }

    /// The body is optional: none means the defaults.
    private static func optionalBody(_ request: Request, context: APIContext) async throws -> InstallRequest {
        guard let length = request.headers[.contentLength], length != "0" else {
            if request.headers[.transferEncoding] == nil { return InstallRequest() }
            return try await request.decodeJSON(InstallRequest.self, context: context)
        }
        return try await request.decodeJSON(InstallRequest.self, context: context)
    }
}
