import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// `/api/v1/auth-scopes`: credentials a server is started or called with. `{id}` is a scope's id
/// or its name.
///
/// Secrets (`env_vars`, `headers`) are write-only: they are sealed as they arrive, and reads say
/// which keys are set (`{"TOKEN": "set"}`), never a value. Changing or deleting a scope's secrets
/// stops its server's running processes, so the next call starts them with the new credentials.
struct AuthScopeController {
    let environment: ServerEnvironment

    /// What reads show in place of a secret value. In a `PUT` it stands for the stored value, so a
    /// client may send back what it read.
    static let placeholder = "set"

    /// `POST /auth-scopes`. Unknown fields are ignored.
    struct CreateRequest: Decodable, Sendable {
        var name: String
        /// The server (id or name) these credentials are for.
        var serverId: String
        /// `env` (the default; OAuth scopes are not supported yet).
        var kind: String?
        var envVars: [String: String]?
        var headers: [String: String]?
        var redactionHints: [String]?

        enum CodingKeys: String, CodingKey {
            case name, kind, headers
            case serverId = "server_id"
            case envVars = "env_vars"
            case redactionHints = "redaction_hints"
        }
    }

    /// `PUT /auth-scopes/{id}`: a partial update. Absent fields keep their value; `name`,
    /// `server_id` and `redaction_hints` (replaced as a whole) may not be `null`. `env_vars` and
    /// `headers` are merged into the stored secrets: a key with a value sets that secret, a key
    /// with `null` removes it, keys not mentioned are kept, and `"set"` keeps the stored value.
    struct UpdateRequest: Decodable, Sendable {
        var name: String?
        var serverId: String?
        var kind: String?
        var envVars: [String: String?]?
        var headers: [String: String?]?
        var redactionHints: [String]?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CreateRequest.CodingKeys.self)
            name = try container.decodeUnlessNull(String.self, forKey: .name)
            serverId = try container.decodeUnlessNull(String.self, forKey: .serverId)
            kind = try container.decodeUnlessNull(String.self, forKey: .kind)
            envVars = try container.decodeUnlessNull([String: String?].self, forKey: .envVars)
            headers = try container.decodeUnlessNull([String: String?].self, forKey: .headers)
            redactionHints = try container.decodeUnlessNull([String].self, forKey: .redactionHints)
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        let scopes = group.group("auth-scopes")
        scopes.get(use: list)
        scopes.post(use: create)
        scopes.get(":id", use: show)
        scopes.put(":id", use: update)
        scopes.delete(":id", use: delete)
    }

    /// `GET /auth-scopes[?server_id=ID|NAME]`.
    @Sendable func list(_ request: Request, context: APIContext) async throws -> [AuthScope] {
        var serverId: String?
        if let key = request.uri.queryParameters["server_id"].map(String.init) {
            serverId = try server(key).id
        }
        return try repository(sealing: false).list(downstreamId: serverId)
    }

    @Sendable func show(_ request: Request, context: APIContext) async throws -> JSONResponse<AuthScope> {
        JSONResponse(try repository(sealing: false).get(context.parameters.require("id")))
    }

    @Sendable func create(
        _ request: Request, context: APIContext
    ) async throws -> EditedResponse<JSONResponse<AuthScope>> {
        let body = try await request.decodeJSON(CreateRequest.self, context: context)
        try Self.checkKind(body.kind)
        let server = try server(body.serverId)
        for (field, secrets) in [("env_vars", body.envVars), ("headers", body.headers)] {
            for (key, value) in secrets ?? [:] where value == Self.placeholder {
                throw APIError.badRequest(
                    "\(field).\(key): give the secret's value ('\(Self.placeholder)' is what reads show in its place)",
                    field: "\(field).\(key)")
            }
        }
        let scope = try repository(sealing: true).create(
            name: body.name, server: server.id,
            secrets: AuthScopeRepository.Secrets(env: body.envVars ?? [:], headers: body.headers ?? [:]),
            redactionHints: body.redactionHints ?? [])
        return JSONResponse.created(scope)
    }

    @Sendable func update(_ request: Request, context: APIContext) async throws -> JSONResponse<AuthScope> {
        let stored = try repository(sealing: false).get(context.parameters.require("id"))
        let body = try await request.decodeJSON(UpdateRequest.self, context: context)
        try Self.checkKind(body.kind)
        let serverId = try body.serverId.map { try server($0).id }
        let secretsChange = body.envVars != nil || body.headers != nil
        // Everything that can be refused is checked before the first write.
        let sealing = try repository(sealing: secretsChange)
        let (set, removing) = try secretChanges(body, stored: stored, repository: sealing)
        var scope: AuthScope
        do {
            scope = try sealing.update(
                stored.id, name: body.name, server: serverId, redactionHints: body.redactionHints)
        } catch {
            guard case .inUse(_, let name, let dependents) = error else { throw error }
            throw APIError.conflict(
                "scope '\(name)' is used by \(dependents.joined(separator: ", ")), which route to its server; "
                    + "change or remove those rules before moving it",
                field: "server_id")
        }
        if secretsChange {
            scope = try sealing.updateSecrets(stored.id, set: set, removing: removing)
        }
        if secretsChange || scope.downstreamId != stored.downstreamId {
            await environment.engine.pool.stop(downstreamId: stored.downstreamId)
        }
        return JSONResponse(scope)
    }

    /// `DELETE /auth-scopes/{id}[?force=true]`: route rules that use the scope make it 409 unless
    /// `force` deletes them too.
    @Sendable func delete(_ request: Request, context: APIContext) async throws -> HTTPResponse.Status {
        let (scope, _) = try repository(sealing: false).delete(
            context.parameters.require("id"), force: request.queryBool("force"))
        await environment.engine.pool.stop(downstreamId: scope.downstreamId)
        return .noContent
    }

    /// The repository; with the secret key only when secrets are sealed or opened.
    private func repository(sealing: Bool) throws -> AuthScopeRepository {
        AuthScopeRepository(environment.database, box: sealing ? try SecretBox.load(home: environment.home) : nil)
    }

    private func server(_ key: String) throws -> Downstream {
        guard let server = try DownstreamRepository(environment.database).find(key) else {
            throw APIError.badRequest("no server '\(key)'", field: "server_id")
        }
        return server
    }

    private static func checkKind(_ kind: String?) throws {
        guard let kind else { return }
        let parsed = try Validate.oneOf(kind, as: AuthScope.Kind.self, field: "kind")
        guard parsed == .env else {
            throw APIError.badRequest("only env scopes can be created or changed for now", field: "kind")
        }
    }

    /// What `updateSecrets` must set and remove for the merge the request asks for. Removing a key
    /// removes it from both maps, so a key removed from one map and kept in the other is set again
    /// there with its stored value.
    private func secretChanges(
        _ body: UpdateRequest, stored: AuthScope, repository: AuthScopeRepository
    ) throws -> (AuthScopeRepository.Secrets, [String]) {
        let env = try Self.merge(body.envVars, storedKeys: stored.envKeys, field: "env_vars")
        let headers = try Self.merge(body.headers, storedKeys: stored.headerKeys, field: "headers")
        var set = AuthScopeRepository.Secrets(env: env.set, headers: headers.set)
        let keptEnv = headers.removed.subtracting(env.removed).intersection(stored.envKeys)
            .filter { set.env[$0] == nil }
        let keptHeaders = env.removed.subtracting(headers.removed).intersection(stored.headerKeys)
            .filter { set.headers[$0] == nil }
        if !keptEnv.isEmpty || !keptHeaders.isEmpty {
            let current = try repository.secrets(of: stored.id)
            for key in keptEnv { set.env[key] = current.env[key] }
            for key in keptHeaders { set.headers[key] = current.headers[key] }
        }
        return (set, env.removed.union(headers.removed).sorted())
    }

    /// One secret map of an update: the values to set and the keys to remove.
    private static func merge(
        _ changes: [String: String?]?, storedKeys: [String], field: String
    ) throws -> (set: [String: String], removed: Set<String>) {
        var set: [String: String] = [:]
        var removed: Set<String> = []
        for (key, value) in changes ?? [:] {
            try Validate.variableName(key, field: field)
            switch value {
            case nil:
                removed.insert(key)
            case placeholder? where !storedKeys.contains(key):
                throw APIError.badRequest(
                    "\(field).\(key): '\(placeholder)' keeps a stored secret, and none is stored for \(key); give its value",
                    field: "\(field).\(key)")
            case placeholder?:
                break
            case let value?:
                set[key] = value
            }
        }
        return (set, removed)
    }
}
