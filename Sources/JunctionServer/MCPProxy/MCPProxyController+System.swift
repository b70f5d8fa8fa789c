import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// MCPProxy's system endpoints over what Junction knows:
/// - `GET /diagnostics`: servers that fail or need a sign-in, and the daemon's stalled parts.
/// - `GET /info`: version, addresses; `update` is null (Junction checks for no updates).
/// - `GET /sessions[?status=active|closed|all&limit=N]`, `GET /sessions/{id}`: client sessions
///   (stdio through the daemon's socket, and MCP over HTTP), from the sessions table.
/// - `GET /secrets`, `GET /secrets/{name}`: names of the sealed credentials (auth scopes' env
///   variables and headers, OAuth tokens, OAuth providers' client secrets) and where they are
///   used; never a value.
/// - `GET /docker/status`: no container isolation runtime is configured, said so plainly.
extension MCPProxyController {
    struct Diagnostics: Encodable, Sendable {
        struct ServerIssue: Encodable, Sendable {
            var serverName: String
            var level: String
            var summary: String
            var detail: String?
            var action: String

            enum CodingKeys: String, CodingKey {
                case level, summary, detail, action
                case serverName = "server_name"
            }
        }

        var totalIssues: Int
        var upstreamErrors: [ServerIssue]
        var oauthRequired: [ServerIssue]
        var missingSecrets: [String]
        var runtimeWarnings: [String]

        enum CodingKeys: String, CodingKey {
            case totalIssues = "total_issues"
            case upstreamErrors = "upstream_errors"
            case oauthRequired = "oauth_required"
            case missingSecrets = "missing_secrets"
            case runtimeWarnings = "runtime_warnings"
        }
    }

    struct Info: Encodable, Sendable {
        struct Endpoints: Encodable, Sendable {
            var http: String
            var socket: String
        }

        var version: String
        var webUIURL: String
        var listenAddr: String
        var endpoints: Endpoints
        /// Junction does not check for updates: always null.
        @Nullable var update: JSONValue?

        enum CodingKeys: String, CodingKey {
            case version, endpoints, update
            case webUIURL = "web_ui_url"
            case listenAddr = "listen_addr"
        }
    }

    struct Session: Encodable, Sendable {
        var session: SessionInfo
        var toolCallCount: Int

        enum CodingKeys: String, CodingKey {
            case toolCallCount = "tool_call_count"
            case startTime = "start_time"
            case lastActivity = "last_activity"
        }

        func encode(to encoder: any Encoder) throws {
            try session.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(toolCallCount, forKey: .toolCallCount)
            try container.encode(session.startedAt, forKey: .startTime)
            try container.encode(session.lastSeenAt, forKey: .lastActivity)
        }
    }

    struct SessionList: Encodable, Sendable {
        var sessions: [Session]
        var total: Int
    }

    /// A sealed credential, by name: never its value.
    struct Secret: Encodable, Sendable {
        /// `auth_scope` (env variables and headers, and OAuth tokens of an OAuth scope) or
        /// `oauth_client_secret` (an OAuth provider's).
        var type: String
        var name: String
        @Nullable var serverName: String?
        var envKeys: [String]
        var headerKeys: [String]
        /// For OAuth scopes: valid, refreshable, expired or signed_out.
        @Nullable var oauthToken: String?
        /// Where it is used: `server:NAME`, `route:NAME`, `auth_scope:NAME`.
        var usedBy: [String]

        enum CodingKeys: String, CodingKey {
            case type, name
            case serverName = "server_name"
            case envKeys = "env_keys"
            case headerKeys = "header_keys"
            case oauthToken = "oauth_token"
            case usedBy = "used_by"
        }
    }

    struct SecretList: Encodable, Sendable {
        var secrets: [Secret]
        var total: Int
    }

    struct DockerStatus: Encodable, Sendable {
        var available: Bool
        var enabled: Bool
        var runtime: String?
        var isolatedServers: Int
        var message: String

        enum CodingKeys: String, CodingKey {
            case available, enabled, runtime, message
            case isolatedServers = "isolated_servers"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(available, forKey: .available)
            try container.encode(enabled, forKey: .enabled)
            try container.encode(runtime, forKey: .runtime)
            try container.encode(isolatedServers, forKey: .isolatedServers)
            try container.encode(message, forKey: .message)
        }
    }

    func addSystemRoutes(to group: RouterGroup<APIContext>) {
        group.get("diagnostics") { _, _ in Envelope(try await diagnostics()) }
        group.get("info") { _, _ in Envelope(info()) }
        group.get("sessions") { request, _ in try sessions(request) }
        group.get("sessions/:id") { _, context -> Envelope<Session> in
            let id = try context.parameters.require("id")
            guard let session = try SessionRepository(environment.database).find(id) else {
                throw APIError.notFound("session '\(id)' not found")
            }
            return Envelope(try withCallCount(session))
        }
        group.get("secrets") { _, _ in
            let list = try secrets()
            return Envelope(SecretList(secrets: list, total: list.count))
        }
        group.get("secrets/:name") { _, context -> Envelope<Secret> in
            let name = try context.parameters.require("name")
            guard let secret = try secrets().first(where: { $0.name == name }) else {
                throw APIError.notFound("secret '\(name)' not found; GET /api/v1/secrets lists them")
            }
            return Envelope(secret)
        }
        group.get("docker/status") { _, _ in
            Envelope(
                DockerStatus(
                    available: false, enabled: false, runtime: nil, isolatedServers: 0,
                    message: "no isolation runtime is configured: Junction runs stdio servers as local child "
                        + "processes with a minimal environment, and reaches URL servers over HTTP"))
        }
    }

    func diagnostics() async throws -> Diagnostics {
        var upstream: [Diagnostics.ServerIssue] = []
        var oauth: [Diagnostics.ServerIssue] = []
        for server in try await allServers() where server.health.adminState == "enabled" {
            let health = server.health
            guard health.level != "healthy" else { continue }
            let issue = Diagnostics.ServerIssue(
                serverName: server.name, level: health.level, summary: health.summary, detail: health.detail,
                action: health.action)
            if health.action == "login" { oauth.append(issue) } else { upstream.append(issue) }
        }
        let warnings = (environment.watchdog?.stalled ?? []).map { "stalled: \($0.rawValue)" }.sorted()
        return Diagnostics(
            totalIssues: upstream.count + oauth.count + warnings.count, upstreamErrors: upstream, oauthRequired: oauth,
            missingSecrets: [], runtimeWarnings: warnings)
    }

    func info() -> Info {
        // The daemon records its address once its HTTP listener is up (as the OAuth redirect does).
        let base = DaemonInfo.read(environment.home)?.url ?? environment.baseURL ?? ""
        let address = URLComponents(string: base).map { url in
            "\(url.host ?? "")\(url.port.map { ":\($0)" } ?? "")"
        }
        return Info(
            version: JunctionVersion.current, webUIURL: base.isEmpty ? "" : base + "/", listenAddr: address ?? "",
            endpoints: Info.Endpoints(http: address ?? "", socket: environment.home.socketPath), update: nil)
    }

    func sessions(_ request: Request) throws -> Envelope<SessionList> {
        let active: Bool?
        switch request.uri.queryParameters["status"].map(String.init) ?? "active" {
        case "active": active = true
        case "closed": active = false
        case "all": active = nil
        default: throw APIError.badRequest("status must be active, closed or all", field: "status")
        }
        let limit = try request.queryInt("limit", default: 100, in: 1...1000)
        let sessions = try SessionRepository(environment.database).list(active: active, limit: limit)
        return Envelope(SessionList(sessions: try sessions.map(withCallCount), total: sessions.count))
    }

    private func withCallCount(_ session: SessionInfo) throws -> Session {
        Session(
            session: session,
            toolCallCount: try AuditRepository(environment.database).count(AuditQuery(sessionId: session.id)))
    }

    func secrets() throws -> [Secret] {
        let database = environment.database
        let servers = Dictionary(
            uniqueKeysWithValues: try DownstreamRepository(database).list().map { ($0.id, $0.name) })
        let rules = try RouteRuleRepository(database).list()
        let scopes = try AuthScopeRepository(database, box: nil).list()
        let tokens = OAuthTokenRepository(database, box: nil)
        var secrets: [Secret] = []
        for scope in scopes {
            let server = servers[scope.downstreamId]
            let routes = rules.filter { $0.authScopeId == scope.id }.map { "route:\($0.name ?? $0.id)" }
            secrets.append(
                Secret(
                    type: "auth_scope", name: scope.name, serverName: server, envKeys: scope.envKeys,
                    headerKeys: scope.headerKeys,
                    oauthToken: scope.kind == .oauth ? (try tokens.info(of: scope.id))?.state() ?? "signed_out" : nil,
                    usedBy: (server.map { ["server:\($0)"] } ?? []) + routes))
        }
        for provider in try OAuthProviderRepository(database, box: nil).list() where provider.hasClientSecret {
            secrets.append(
                Secret(
                    type: "oauth_client_secret", name: provider.name, serverName: nil, envKeys: [], headerKeys: [],
                    oauthToken: nil,
                    usedBy: scopes.filter { $0.oauthProviderId == provider.id }.map { "auth_scope:\($0.name)" }))
        }
        return secrets
    }
}
