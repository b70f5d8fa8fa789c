import Hummingbird

/// Builds the daemon's router: `/api/v1` behind the access checks, errors as JSON.
/// Controllers each add their routes to the `/api/v1` group.
public func buildRouter(_ environment: ServerEnvironment) -> Router<APIContext> {
    let router = Router(context: APIContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(
        middleware: AccessMiddleware(
            apiKey: environment.apiKey, allowRemote: environment.allowRemote,
            isPublic: { path in path == "/api/v1/health" || !path.hasPrefix("/api/") }))
    let api = router.group("api/v1")
    HealthController(environment: environment).addRoutes(to: api)
    return router
}
