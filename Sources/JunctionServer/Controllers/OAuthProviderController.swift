import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// `/api/v1/oauth-providers` and `/api/v1/oauth-templates`: the OAuth apps Junction signs in
/// with. `{id}` is a provider's id or name. The client secret is write-only (`"set"` in reads).
struct OAuthProviderController {
    let environment: ServerEnvironment

    /// `POST /oauth-providers` (all of it) and `PUT /oauth-providers/{id}` (absent fields keep
    /// their value; `client_secret` `""` removes the secret). `template` fills the endpoints.
    struct Body: Decodable, Sendable {
        var name: String?
        var template: String?
        var issuer: String?
        var authURL: String?
        var tokenURL: String?
        var revocationURL: String?
        var deviceAuthorizationURL: String?
        var clientId: String?
        var clientSecret: String?
        var scopes: [String]?
        var tokenAuthMethod: String?

        enum CodingKeys: String, CodingKey {
            case name, template, issuer, scopes
            case authURL = "auth_url"
            case tokenURL = "token_url"
            case revocationURL = "revocation_url"
            case deviceAuthorizationURL = "device_authorization_url"
            case clientId = "client_id"
            case clientSecret = "client_secret"
            case tokenAuthMethod = "token_auth_method"
        }
    }

    /// `POST /oauth-providers/discover`: `{"url": issuer or provider URL}`.
    struct DiscoverRequest: Decodable, Sendable {
        var url: String
    }

    /// What discovery found at a provider URL.
    struct Discovered: Encodable, Sendable {
        var issuer: String
        var authURL: String
        var tokenURL: String
        var userinfoURL: String?
        var revocationURL: String?
        var deviceAuthorizationURL: String?
        var registrationURL: String?
        var scopesSupported: [String]?

        enum CodingKeys: String, CodingKey {
            case issuer
            case authURL = "auth_url"
            case tokenURL = "token_url"
            case userinfoURL = "userinfo_url"
            case revocationURL = "revocation_url"
            case deviceAuthorizationURL = "device_authorization_url"
            case registrationURL = "registration_url"
            case scopesSupported = "scopes_supported"
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        let providers = group.group("oauth-providers")
        providers.get(use: list)
        providers.post(use: create)
        providers.post("discover", use: discover)
        providers.get(":id", use: show)
        providers.put(":id", use: update)
        providers.delete(":id", use: delete)
        group.get("oauth-templates", use: templates)
    }

    @Sendable func list(_ request: Request, context: APIContext) async throws -> JSONResponse<[OAuthProvider]> {
        JSONResponse(try repository(sealing: false).list())
    }

    @Sendable func show(_ request: Request, context: APIContext) async throws -> JSONResponse<OAuthProvider> {
        JSONResponse(try repository(sealing: false).get(context.parameters.require("id")))
    }

    @Sendable func create(
        _ request: Request, context: APIContext
    ) async throws -> EditedResponse<JSONResponse<OAuthProvider>> {
        let body = try await request.decodeJSON(Body.self, context: context)
        guard let name = body.name else { throw APIError.badRequest("name is required", field: "name") }
        var provider = try Self.apply(body, to: Self.blank(name: name, template: body.template))
        provider.name = name
        let created = try repository(sealing: body.clientSecret != nil).create(
            provider, clientSecret: body.clientSecret.flatMap { $0.isEmpty ? nil : $0 })
        return JSONResponse.created(created)
    }

    @Sendable func update(_ request: Request, context: APIContext) async throws -> JSONResponse<OAuthProvider> {
        let body = try await request.decodeJSON(Body.self, context: context)
        let repository = try repository(sealing: body.clientSecret != nil)
        let stored = try repository.get(context.parameters.require("id"))
        let changed = try Self.apply(body, to: stored)
        let secret = body.clientSecret == "set" ? nil : body.clientSecret
        return JSONResponse(try repository.update(stored.id, { $0 = changed }, clientSecret: secret))
    }

    @Sendable func delete(_ request: Request, context: APIContext) async throws -> HTTPResponse.Status {
        do {
            try repository(sealing: false).delete(context.parameters.require("id"))
        } catch let error as StoreError {
            guard case .inUse(_, let name, let dependents) = error else { throw error }
            throw APIError.conflict(
                "oauth provider '\(name)' is used by \(dependents.joined(separator: ", ")); "
                    + "sign those out and delete them first")
        }
        return .noContent
    }

    @Sendable func templates(_ request: Request, context: APIContext) async throws -> JSONResponse<[OAuthTemplate]> {
        JSONResponse(OAuthTemplate.all)
    }

    @Sendable func discover(_ request: Request, context: APIContext) async throws -> JSONResponse<Discovered> {
        let body = try await request.decodeJSON(DiscoverRequest.self, context: context)
        try OAuthProviderRepository.validateURL(body.url, field: "url")
        let found = try await OAuthDiscovery(http: environment.engine.oauth.http).authorizationServer(issuer: body.url)
        return JSONResponse(
            Discovered(
                issuer: found.issuer, authURL: found.authorizationEndpoint, tokenURL: found.tokenEndpoint,
                userinfoURL: found.userinfoEndpoint, revocationURL: found.revocationEndpoint,
                deviceAuthorizationURL: found.deviceAuthorizationEndpoint, registrationURL: found.registrationEndpoint,
                scopesSupported: found.scopesSupported))
    }

    /// A provider with a template's endpoints (or none yet) to apply a request to.
    static func blank(name: String, template: String?) throws -> OAuthProvider {
        guard let template else { return OAuthProvider(name: name, authURL: "", tokenURL: "", clientId: "") }
        guard let known = OAuthTemplate.named(template) else {
            throw APIError.badRequest(
                "unknown template '\(template)'; known: \(OAuthTemplate.all.map(\.id).joined(separator: ", "))",
                field: "template")
        }
        return known.provider(named: name, clientId: "")
    }

    /// The request's fields over `provider`.
    static func apply(_ body: Body, to provider: OAuthProvider) throws -> OAuthProvider {
        var provider = provider
        if let name = body.name { provider.name = name }
        if let issuer = body.issuer { provider.issuer = issuer.isEmpty ? nil : issuer }
        if let url = body.authURL { provider.authURL = url }
        if let url = body.tokenURL { provider.tokenURL = url }
        if let url = body.revocationURL { provider.revocationURL = url.isEmpty ? nil : url }
        if let url = body.deviceAuthorizationURL { provider.deviceAuthorizationURL = url.isEmpty ? nil : url }
        if let clientId = body.clientId { provider.clientId = clientId }
        if let scopes = body.scopes { provider.scopes = scopes }
        if let method = body.tokenAuthMethod {
            provider.tokenAuthMethod = try Validate.oneOf(
                method, as: OAuthProvider.TokenAuthMethod.self, field: "token_auth_method")
        }
        return provider
    }

    private func repository(sealing: Bool) throws -> OAuthProviderRepository {
        OAuthProviderRepository(environment.database, box: sealing ? environment.engine.oauth.box : nil)
    }
}
