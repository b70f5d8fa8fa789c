import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// Signing URL servers in, as MCPlexer's API does it: sign-ins started per server
/// (`/downstreams/{id}/oauth-setup`) or per auth scope (`/auth-scopes/{id}/oauth/authorize`), the
/// public callback they land on (`/oauth/callback`, protected by `state`), status, revocation.
/// No response ever holds a token.
struct OAuthController {
    let environment: ServerEnvironment

    var oauth: OAuthService { environment.engine.oauth }

    /// `POST /downstreams/{id}/oauth-setup`: all optional.
    struct SetupRequest: Decodable, Sendable {
        init() {}

        /// The auth scope to sign in (default `SERVER-oauth`).
        var scope: String?
        /// OAuth scopes to ask for.
        var scopes: [String]?
        /// A configured provider to use (default: matched by issuer, else registered dynamically).
        var provider: String?
    }

    /// A started sign-in: open `authorization_url` in a browser.
    struct Started: Encodable, Sendable {
        var authorizationURL: String
        var state: String
        var redirectURI: String
        var serverId: String
        var serverName: String
        var authScopeName: String
        var provider: String
        var expiresIn: Int

        enum CodingKeys: String, CodingKey {
            case state, provider
            case authorizationURL = "authorization_url"
            case redirectURI = "redirect_uri"
            case serverId = "server_id"
            case serverName = "server_name"
            case authScopeName = "auth_scope_name"
            case expiresIn = "expires_in"
        }
    }

    /// `POST /auth-scopes/oauth-quick-setup`.
    struct QuickSetupRequest: Decodable, Sendable {
        var providerTemplate: String
        var clientId: String
        var clientSecret: String?
        var serverId: String
        var scope: String?
        var scopes: [String]?

        enum CodingKeys: String, CodingKey {
            case scope, scopes
            case providerTemplate = "provider_template"
            case clientId = "client_id"
            case clientSecret = "client_secret"
            case serverId = "server_id"
        }
    }

    /// `GET /downstreams/{id}/oauth-capabilities`: how the server is guarded.
    struct Capabilities: Encodable, Sendable {
        var serverId: String
        var serverName: String
        var requiresOAuth: Bool
        var resource: String?
        var issuer: String?
        var authorizationEndpoint: String?
        var tokenEndpoint: String?
        /// `configured`, `dynamic`, `metadata_document` or `none`: how Junction would get a client.
        var registration: String
        var provider: String?
        var deviceFlow: Bool
        var pkceS256: Bool
        var scopesSupported: [String]
        var detail: String?

        enum CodingKeys: String, CodingKey {
            case resource, issuer, registration, provider, detail
            case serverId = "server_id"
            case serverName = "server_name"
            case requiresOAuth = "requires_oauth"
            case authorizationEndpoint = "authorization_endpoint"
            case tokenEndpoint = "token_endpoint"
            case deviceFlow = "device_flow"
            case pkceS256 = "pkce_s256"
            case scopesSupported = "scopes_supported"
        }
    }

    /// `POST /auth-scopes/{id}/oauth/revoke`.
    struct Revoked: Encodable, Sendable {
        var revoked: Bool
        var authScopeId: String
        var authScopeName: String

        enum CodingKeys: String, CodingKey {
            case revoked
            case authScopeId = "auth_scope_id"
            case authScopeName = "auth_scope_name"
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("oauth/callback", use: callback)
        group.post("auth-scopes/oauth-quick-setup", use: quickSetup)
        group.get("auth-scopes/:id/oauth/authorize", use: authorize)
        group.get("auth-scopes/:id/oauth/status", use: scopeStatus)
        group.post("auth-scopes/:id/oauth/revoke", use: revoke)
        group.post("downstreams/:id/oauth-setup", use: setup)
        group.get("downstreams/:id/oauth-status", use: serverStatus)
        group.post("downstreams/:id/connect", use: connect)
        group.get("downstreams/:id/oauth-capabilities", use: capabilities)
    }

    /// The daemon's callback URL (its HTTP address as `daemon.json` records it).
    private func redirectURI() throws -> String {
        guard let base = DaemonInfo.read(environment.home)?.url ?? environment.baseURL else {
            throw APIError(
                .serviceUnavailable, code: "not_ready", "the daemon's HTTP address is not known yet; try again")
        }
        return base + "/api/v1/oauth/callback"
    }

    private func start(server: String, options: OAuthSignIn.Options) async throws -> Started {
        let redirect = try redirectURI()
        let pending = try await oauth.begin(server: server, redirectURI: redirect, options: options)
        return Started(
            authorizationURL: pending.authorizationURL, state: pending.state, redirectURI: redirect,
            serverId: pending.server.id, serverName: pending.server.name, authScopeName: pending.scopeName,
            provider: pending.provider.name, expiresIn: Int(OAuthService.pendingLifetime))
    }

    private func options(scope: String?, scopes: [String]?, provider: String?) -> OAuthSignIn.Options {
        OAuthSignIn.Options(
            scopeName: scope, scopes: scopes, providerName: provider,
            clientMetadataURL: (try? SettingsRepository(environment.database).value(.oauthClientMetadataURL)) ?? nil)
    }

    @Sendable func setup(_ request: Request, context: APIContext) async throws -> JSONResponse<Started> {
        let server = try DownstreamRepository(environment.database).get(context.parameters.require("id"))
        // The body is optional: collected first, decoded only when there is one.
        var request = request
        let bytes = try await request.collectBody(upTo: context.maxUploadSize)
        let body =
            bytes.readableBytes == 0
            ? SetupRequest() : try await request.decodeJSON(SetupRequest.self, context: context)
        return JSONResponse(
            try await start(
                server: server.id, options: options(scope: body.scope, scopes: body.scopes, provider: body.provider)))
    }

    @Sendable func serverStatus(_ request: Request, context: APIContext) async throws -> JSONResponse<
        OAuthServerStatus
    > {
        JSONResponse(try await oauth.status(server: context.parameters.require("id")))
    }

    @Sendable func connect(_ request: Request, context: APIContext) async throws -> JSONResponse<OAuthServerStatus> {
        let server = try DownstreamRepository(environment.database).get(context.parameters.require("id"))
        let status = try await oauth.status(server: server.id)
        guard let scope = status.scopes.first(where: { $0.state != "signed_out" }) else {
            throw APIError.conflict(
                "\(server.name) is not signed in: start with POST /api/v1/downstreams/\(server.name)/oauth-setup "
                    + "or run 'junction auth login \(server.name)'")
        }
        // A token near or past expiry is refreshed now; the server restarts with it.
        _ = try await oauth.manager.authorization(scopeId: scope.authScopeId)
        await environment.engine.pool.stop(downstreamId: server.id)
        return JSONResponse(try await oauth.status(server: server.id))
    }

    @Sendable func capabilities(_ request: Request, context: APIContext) async throws -> JSONResponse<Capabilities> {
        let server = try DownstreamRepository(environment.database).get(context.parameters.require("id"))
        var answer = Capabilities(
            serverId: server.id, serverName: server.name, requiresOAuth: false, registration: "none",
            deviceFlow: false, pkceS256: false, scopesSupported: [])
        guard let url = server.url, server.transport == .http else {
            answer.detail = "a command server: OAuth applies to URL servers"
            return JSONResponse(answer)
        }
        let outcome = await Self.discover(url, http: oauth.http)
        guard case .success(let found) = outcome else {
            if case .failure(let error) = outcome {
                guard case .noMetadata = error else { throw error }
                answer.detail = error.description
            }
            return JSONResponse(answer)
        }
        let metadata = found.authorizationServer
        answer.requiresOAuth = true
        answer.resource = found.resource
        answer.issuer = metadata.issuer
        answer.authorizationEndpoint = metadata.authorizationEndpoint
        answer.tokenEndpoint = metadata.tokenEndpoint
        answer.deviceFlow = metadata.deviceAuthorizationEndpoint != nil
        answer.pkceS256 = metadata.codeChallengeMethodsSupported?.contains(PKCE.method) ?? false
        answer.scopesSupported = found.scopes.isEmpty ? (metadata.scopesSupported ?? []) : found.scopes
        if let provider = try OAuthProviderRepository(environment.database, box: nil).match(
            issuer: metadata.issuer, authURL: metadata.authorizationEndpoint)
        {
            answer.registration = "configured"
            answer.provider = provider.name
        } else if metadata.registrationEndpoint != nil {
            answer.registration = "dynamic"
        } else if metadata.clientIdMetadataDocumentSupported == true {
            answer.registration = "metadata_document"
        }
        return JSONResponse(answer)
    }

    private static func discover(_ url: String, http: any OAuthHTTP) async -> Result<OAuthDiscovery.Result, OAuthError>
    {
        do {
            return .success(try await OAuthDiscovery(http: http).discover(serverURL: url))
        } catch {
            return .failure(error)
        }
    }

    /// The OAuth scope `{id}` names (an env scope is refused).
    private func oauthScope(_ context: APIContext) throws -> AuthScope {
        let scope = try AuthScopeRepository(environment.database, box: nil).get(context.parameters.require("id"))
        guard scope.kind == .oauth else {
            throw APIError.badRequest(
                "scope '\(scope.name)' holds environment or header secrets, not OAuth tokens; sign in with "
                    + "POST /api/v1/downstreams/{id}/oauth-setup, which creates an OAuth scope")
        }
        return scope
    }

    @Sendable func authorize(_ request: Request, context: APIContext) async throws -> JSONResponse<Started> {
        let scope = try oauthScope(context)
        let provider = try scope.oauthProviderId.flatMap {
            try OAuthProviderRepository(environment.database, box: nil).find($0)
        }
        let chosen = provider?.registration == .manual ? provider?.name : nil
        return JSONResponse(
            try await start(
                server: scope.downstreamId, options: options(scope: scope.name, scopes: nil, provider: chosen)))
    }

    @Sendable func scopeStatus(_ request: Request, context: APIContext) async throws -> JSONResponse<
        OAuthServerStatus.Scope
    > {
        let scope = try oauthScope(context)
        let status = try await oauth.status(server: scope.downstreamId)
        guard let entry = status.scopes.first(where: { $0.authScopeId == scope.id }) else {
            throw APIError.notFound("no OAuth scope '\(scope.name)'")
        }
        return JSONResponse(entry)
    }

    @Sendable func revoke(_ request: Request, context: APIContext) async throws -> JSONResponse<Revoked> {
        let scope = try oauthScope(context)
        let signedOut = try await oauth.signOut(server: scope.downstreamId, scopeName: scope.id)
        await environment.engine.pool.stop(downstreamId: scope.downstreamId)
        return JSONResponse(Revoked(revoked: !signedOut.isEmpty, authScopeId: scope.id, authScopeName: scope.name))
    }

    @Sendable func quickSetup(_ request: Request, context: APIContext) async throws -> JSONResponse<Started> {
        let body = try await request.decodeJSON(QuickSetupRequest.self, context: context)
        let server = try DownstreamRepository(environment.database).find(body.serverId)
        guard let server else { throw APIError.badRequest("no server '\(body.serverId)'", field: "server_id") }
        var provider = try OAuthProviderController.blank(
            name: String("\(server.name)-\(body.providerTemplate)".prefix(64)), template: body.providerTemplate)
        provider.clientId = body.clientId
        let repository = OAuthProviderRepository(environment.database, box: oauth.box)
        let secret = body.clientSecret.flatMap { $0.isEmpty ? nil : $0 }
        if let existing = try repository.find(provider.name) {
            provider = try repository.update(
                existing.id,
                { stored in
                    let id = stored.id
                    stored = provider
                    stored.id = id
                }, clientSecret: secret ?? "")
        } else {
            provider = try repository.create(provider, clientSecret: secret)
        }
        return JSONResponse(
            try await start(
                server: server.id, options: options(scope: body.scope, scopes: body.scopes, provider: provider.name)))
    }

    /// `GET /oauth/callback?code=…&state=…` (or `error=…`): public, the `state` is the credential.
    @Sendable func callback(_ request: Request, context: APIContext) async throws -> Response {
        let (response, _) = await OAuthCallbackPage.handle(request, service: oauth)
        return response
    }
}
