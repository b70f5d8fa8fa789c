import Foundation
import Hummingbird
import JunctionCore
import JunctionStore

/// `/api/v1/routes`: route rules, global or scoped to a workspace. `{id}` is a rule's id or name.
///
/// Lists come in the order the resolver applies the rules: workspace rules grouped by workspace
/// name, global rules last, and inside a scope by priority, specificity and id. References
/// (`workspace_id`, `server_id`, `auth_scope_id`) accept an id or a name and are stored as ids;
/// one that names nothing is a 400 naming the field. A rule with an auth scope but no server is
/// served by the scope's server.
struct RouteController {
    let environment: ServerEnvironment

    var repository: RouteRuleRepository { RouteRuleRepository(environment.database) }

    /// `POST /routes` and each rule of `POST /routes/bulk`. Unknown fields are ignored.
    struct CreateRequest: Decodable, Sendable {
        var name: String?
        /// Absent or null: a global rule.
        var workspaceId: String?
        var pathGlob: String?
        var toolPattern: String
        /// Absent or null: the server owning the tool's namespace.
        var serverId: String?
        var authScopeId: String?
        /// `allow` (default), `deny` or `approve`.
        var policy: String?
        var priority: WholeNumber?
        var approvalTimeoutSec: WholeNumber?
        var cacheTTLSec: WholeNumber?
        var enabled: Bool?

        enum CodingKeys: String, CodingKey {
            case name, policy, priority, enabled
            case workspaceId = "workspace_id"
            case pathGlob = "path_glob"
            case toolPattern = "tool_pattern"
            case serverId = "server_id"
            case authScopeId = "auth_scope_id"
            case approvalTimeoutSec = "approval_timeout_sec"
            case cacheTTLSec = "cache_ttl_sec"
        }
    }

    /// `POST /routes/bulk`: every rule is created, or none.
    struct BulkRequest: Decodable, Sendable {
        var rules: [CreateRequest]
    }

    /// `PUT /routes/{id}`: a partial update. Absent fields keep their value. `name`,
    /// `workspace_id` (null: make it global), `server_id`, `auth_scope_id`,
    /// `approval_timeout_sec` and `cache_ttl_sec` may be `null` to clear them; the other fields
    /// may not.
    struct UpdateRequest: Decodable, Sendable {
        var name: Patch<String>
        var workspaceId: Patch<String>
        var pathGlob: String?
        var toolPattern: String?
        var serverId: Patch<String>
        var authScopeId: Patch<String>
        var policy: String?
        var priority: Int?
        var approvalTimeoutSec: Patch<Int>
        var cacheTTLSec: Patch<Int>
        var enabled: Bool?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CreateRequest.CodingKeys.self)
            name = try container.decodePatch(String.self, forKey: .name)
            workspaceId = try container.decodePatch(String.self, forKey: .workspaceId)
            pathGlob = try container.decodeUnlessNull(String.self, forKey: .pathGlob)
            toolPattern = try container.decodeUnlessNull(String.self, forKey: .toolPattern)
            serverId = try container.decodePatch(String.self, forKey: .serverId)
            authScopeId = try container.decodePatch(String.self, forKey: .authScopeId)
            policy = try container.decodeUnlessNull(String.self, forKey: .policy)
            priority = try container.decodeUnlessNull(WholeNumber.self, forKey: .priority)?.value
            approvalTimeoutSec = try container.decodePatch(WholeNumber.self, forKey: .approvalTimeoutSec).map(\.value)
            cacheTTLSec = try container.decodePatch(WholeNumber.self, forKey: .cacheTTLSec).map(\.value)
            enabled = try container.decodeUnlessNull(Bool.self, forKey: .enabled)
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        let routes = group.group("routes")
        routes.get(use: list)
        routes.post(use: create)
        routes.post("bulk", use: bulk)
        routes.get(":id", use: show)
        routes.put(":id", use: update)
        routes.delete(":id", use: delete)
    }

    /// `GET /routes[?workspace_id=ID|NAME][?global=true]`.
    @Sendable func list(_ request: Request, context: APIContext) async throws -> [RouteRule] {
        let workspace = request.uri.queryParameters["workspace_id"].map(String.init)
        let global = try request.queryBool("global")
        switch (workspace, global) {
        case (nil, false):
            return try repository.list(.all)
        case (nil, true):
            return try repository.list(.global)
        case (let workspace?, false):
            guard let found = try WorkspaceRepository(environment.database).find(workspace) else {
                throw APIError.badRequest("no workspace '\(workspace)'", field: "workspace_id")
            }
            return try repository.list(.workspace(id: found.id))
        case (.some, true):
            throw APIError.badRequest("give workspace_id or global=true, not both", field: "global")
        }
    }

    @Sendable func show(_ request: Request, context: APIContext) async throws -> JSONResponse<RouteRule> {
        JSONResponse(try repository.get(context.parameters.require("id")))
    }

    @Sendable func create(
        _ request: Request, context: APIContext
    ) async throws -> EditedResponse<JSONResponse<RouteRule>> {
        let body = try await request.decodeJSON(CreateRequest.self, context: context)
        return JSONResponse.created(
            try repository.create(checked(Self.rule(from: body, fieldPrefix: ""), fieldPrefix: "")))
    }

    /// `POST /routes/bulk {"rules": [...]}`: 201 with the created rules, in request order. A rule
    /// that cannot be created is a 400 (409 for a taken name) naming it (`rules[3].tool_pattern`),
    /// and nothing is created.
    @Sendable func bulk(_ request: Request, context: APIContext) async throws -> EditedResponse<[RouteRule]> {
        let body = try await request.decodeJSON(BulkRequest.self, context: context)
        guard !body.rules.isEmpty else { throw APIError.badRequest("rules must not be empty", field: "rules") }
        var rules: [RouteRule] = []
        var names: [String: Int] = [:]
        for (index, entry) in body.rules.enumerated() {
            let prefix = "rules[\(index)]."
            let rule = try checked(try Self.rule(from: entry, fieldPrefix: prefix), fieldPrefix: prefix)
            if let name = rule.name {
                if let first = names[name] {
                    throw APIError.conflict(
                        "rules[\(first)] and rules[\(index)] are both named '\(name)'", field: prefix + "name")
                }
                if let existing = try repository.find(name), existing.name == name {
                    throw APIError.conflict("a route named '\(name)' already exists", field: prefix + "name")
                }
                names[name] = index
            }
            rules.append(rule)
        }
        return EditedResponse(status: .created, response: try repository.createAll(rules))
    }

    @Sendable func update(_ request: Request, context: APIContext) async throws -> JSONResponse<RouteRule> {
        var rule = try repository.get(context.parameters.require("id"))
        let body = try await request.decodeJSON(UpdateRequest.self, context: context)
        rule.name = body.name.applied(to: rule.name)
        rule.workspaceId = body.workspaceId.applied(to: rule.workspaceId)
        if let pathGlob = body.pathGlob { rule.pathGlob = pathGlob }
        if let toolPattern = body.toolPattern { rule.toolPattern = toolPattern }
        rule.downstreamId = body.serverId.applied(to: rule.downstreamId)
        rule.authScopeId = body.authScopeId.applied(to: rule.authScopeId)
        if let policy = body.policy { rule.policy = try Self.policy(policy, field: "policy") }
        if let priority = body.priority { rule.priority = priority }
        rule.approvalTimeoutSec = body.approvalTimeoutSec.applied(to: rule.approvalTimeoutSec)
        rule.cacheTTLSec = body.cacheTTLSec.applied(to: rule.cacheTTLSec)
        if let enabled = body.enabled { rule.enabled = enabled }
        return JSONResponse(try repository.update(checked(rule, fieldPrefix: "")))
    }

    @Sendable func delete(_ request: Request, context: APIContext) async throws -> HTTPResponse.Status {
        try repository.delete(context.parameters.require("id"))
        return .noContent
    }

    private static func rule(from body: CreateRequest, fieldPrefix prefix: String) throws -> RouteRule {
        RouteRule(
            name: body.name, workspaceId: body.workspaceId, pathGlob: body.pathGlob ?? RouteRule.defaultPathGlob,
            toolPattern: body.toolPattern, downstreamId: body.serverId, authScopeId: body.authScopeId,
            policy: try body.policy.map { try policy($0, field: prefix + "policy") } ?? .allow,
            priority: body.priority?.value ?? 0,
            approvalTimeoutSec: body.approvalTimeoutSec?.value, cacheTTLSec: body.cacheTTLSec?.value,
            enabled: body.enabled ?? true)
    }

    private static func policy(_ raw: String, field: String) throws -> Policy {
        try Validate.oneOf(raw, as: Policy.self, field: field)
    }

    /// The rule with its references turned into ids, checked field by field so that an error names
    /// the field (behind `fieldPrefix`, the rule's place in a bulk request). The repository checks
    /// again as it writes; this pass is what lets a bulk error say which rule is at fault.
    private func checked(_ rule: RouteRule, fieldPrefix prefix: String) throws -> RouteRule {
        var rule = rule
        func invalid(_ field: String, _ message: String) -> APIError {
            .badRequest(message, field: prefix + field)
        }
        if let name = rule.name { try Validate.name(name, field: prefix + "name", kind: "route") }
        // SQLite's length() ends at a NUL, so the table's non-empty checks would fail as a 500;
        // no tool name or path can hold one anyway.
        for (field, value) in [("tool_pattern", rule.toolPattern), ("path_glob", rule.pathGlob)]
        where value.unicodeScalars.contains("\0") {
            throw invalid(field, "\(field) must not contain a NUL character")
        }
        do { _ = try Glob(rule.toolPattern, flavor: .name) } catch {
            throw invalid("tool_pattern", "invalid tool pattern: \(error)")
        }
        do { _ = try Glob(rule.pathGlob, flavor: .path) } catch {
            throw invalid("path_glob", "invalid path glob: \(error)")
        }
        if let timeout = rule.approvalTimeoutSec, timeout <= 0 {
            throw invalid("approval_timeout_sec", "approval timeout must be at least 1 second")
        }
        if let ttl = rule.cacheTTLSec, ttl < 0 {
            throw invalid("cache_ttl_sec", "cache TTL must be 0 (off) or more seconds")
        }
        let database = environment.database
        if let key = rule.workspaceId {
            guard let workspace = try WorkspaceRepository(database).find(key) else {
                throw invalid("workspace_id", "no workspace '\(key)'")
            }
            rule.workspaceId = workspace.id
        }
        var server: Downstream?
        if let key = rule.downstreamId {
            server = try DownstreamRepository(database).find(key)
            guard let server else { throw invalid("server_id", "no server '\(key)'") }
            rule.downstreamId = server.id
        }
        if let key = rule.authScopeId {
            guard let scope = try AuthScopeRepository(database, box: nil).find(key) else {
                throw invalid("auth_scope_id", "no auth scope '\(key)'")
            }
            if let server, scope.downstreamId != server.id {
                throw invalid(
                    "auth_scope_id",
                    "auth scope '\(scope.name)' belongs to another server than '\(server.name)'; "
                        + "change server_id with it (or set it to null)")
            }
            rule.authScopeId = scope.id
        }
        return rule
    }
}
