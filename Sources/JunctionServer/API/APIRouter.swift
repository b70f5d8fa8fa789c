import Hummingbird
import HummingbirdWebSocket
import JunctionStore

/// Builds the daemon's router: `/api/v1` behind the access checks, errors as JSON.
/// Controllers each add their routes to the `/api/v1` group.
public func buildRouter(_ environment: ServerEnvironment) -> Router<APIContext> {
    let router = Router(context: APIContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: ShutdownMiddleware(flag: environment.shutdown))
    router.add(middleware: accessMiddleware(environment))
    router.add(middleware: RateLimitMiddleware(registry: environment.mcp))
    router.add(middleware: OffloadMiddleware(executor: environment.database.executor, heavy: environment.heavyReads))
    let api = router.group("api/v1")
    HealthController(environment: environment).addRoutes(to: api)
    WorkspaceController(environment: environment).addRoutes(to: api)
    DownstreamController(environment: environment).addRoutes(to: api)
    ToolPinController(environment: environment).addRoutes(to: api)
    RouteController(environment: environment).addRoutes(to: api)
    AuthScopeController(environment: environment).addRoutes(to: api)
    OAuthProviderController(environment: environment).addRoutes(to: api)
    OAuthController(environment: environment).addRoutes(to: api)
    DryRunController(environment: environment).addRoutes(to: api)
    SettingsController(environment: environment).addRoutes(to: api)
    ConfigController(environment: environment).addRoutes(to: api)
    DoctorController(environment: environment).addRoutes(to: api)
    CacheController(environment: environment).addRoutes(to: api)
    EventsController(environment: environment).addRoutes(to: api, root: router)
    AuditController(environment: environment).addRoutes(to: api)
    DashboardController(environment: environment).addRoutes(to: api)
    ToolsController(environment: environment).addRoutes(to: api)
    ApprovalsController(environment: environment).addRoutes(to: api)
    InstallController(environment: environment).addRoutes(to: api)
    MetricsController(environment: environment).addRoutes(to: api, root: router)
    OpenAPIController().addRoutes(to: api, root: router)
    MCPController(environment: environment).addRoutes(to: router)
    ClientKeyController(environment: environment).addRoutes(to: api)
    MCPProxyController(environment: environment).addRoutes(to: api)
    OpenGatewayController(environment: environment).addRoutes(to: router)
    ProxyEngineController(environment: environment).addRoutes(to: router)
    WebController().addRoutes(to: router)
    ProxyHealthController(environment: environment).addRoutes(to: router)
    ProxyEventsController(environment: environment, access: accessMiddleware(environment)).addRoutes(to: router)
    return router
}

/// The routes reached by a WebSocket upgrade (`/ws/proxy-events`), checked as every API request.
func buildWebSocketRouter(_ environment: ServerEnvironment) -> Router<WebSocketAPIContext> {
    let router = Router(context: WebSocketAPIContext.self)
    ProxyEventsController(environment: environment, access: accessMiddleware(environment))
        .addWebSocketRoutes(to: router)
    return router
}

/// The access checks (Host, Origin, key) for this daemon.
func accessMiddleware(_ environment: ServerEnvironment) -> AccessMiddleware {
    AccessMiddleware(
        apiKey: environment.apiKey,
        hosts: HostPolicy(
            allowRemote: environment.allowRemote, allowedHosts: environment.allowedHosts,
            boundHost: environment.boundHost),
        isPublic: isPublic,
        clientKey: { presented in try await clientIdentity(presented, environment: environment) })
}

/// Paths where a named client key is accepted besides the daemon's key: MCP over HTTP.
func isMCPPath(_ path: String) -> Bool {
    path == "/mcp" || path == "/rpc" || path == "/mcp/" || path == "/rpc/"
}

/// Paths served without the key: health (`/api/v1/health`, and Open MCP Gateway's `/health`), the
/// API description, the web UI's static files, and the OAuth callback (the provider's redirect
/// carries no key; the sign-in's `state` protects it). Everything under `/api/`, `/events` and
/// `/mcp` needs it, and so do the seed surfaces (`/stats`, `/servers`, `/admin`, `/tools`).
func isPublic(_ path: String) -> Bool {
    switch path {
    case "/api/v1/health", "/api/v1/openapi.yaml", "/swagger/swagger.yaml", "/api/v1/oauth/callback", "/health":
        return true
    default:
        let guarded = [
            "/api/", "/events", "/mcp", "/rpc", "/metrics", "/stats", "/servers", "/admin", "/tools", "/health/proxy",
            "/ws/",
        ]
        return !guarded.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }
}

/// The named client key a client presented, looked up by its hash on the database executor
/// (every request reads it afresh: a revoked key is refused at once).
func clientIdentity(_ presented: String, environment: ServerEnvironment) async throws -> ClientIdentity? {
    try await withTaskExecutorPreference(environment.database.executor) {
        guard presented.hasPrefix("jck_"),
            let key = try ClientKeyRepository(environment.database).match(presented: presented)
        else { return nil }
        let workspace = try key.workspaceId.map { try WorkspaceRepository(environment.database).get($0).name }
        return ClientIdentity(keyId: key.id, name: key.name, workspace: workspace)
    }
}
