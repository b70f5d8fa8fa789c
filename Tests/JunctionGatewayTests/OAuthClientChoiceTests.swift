import Foundation
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionGateway

/// An MCP server at https://mcp.example.com/mcp guarded by https://auth.example.com, whose
/// metadata has `extra` members; its token endpoint answers `device-token` to the device grant
/// once the user approved (after one `authorization_pending`).
func guardedServer(_ extra: String) -> FakeOAuthHTTP {
    let polls = Recording<Int>()
    return FakeOAuthHTTP { request throws(OAuthError) in
        switch request.url {
        case "https://mcp.example.com/mcp":
            return OAuthHTTPResponse(status: 401, headers: ["www-authenticate": "Bearer"])
        case "https://mcp.example.com/.well-known/oauth-protected-resource/mcp":
            return OAuthHTTPResponse(status: 200, json: #"{"authorization_servers":["https://auth.example.com"]}"#)
        case "https://auth.example.com/.well-known/oauth-authorization-server":
            return OAuthHTTPResponse(
                status: 200,
                json:
                    #"{"issuer":"https://auth.example.com","authorization_endpoint":"https://auth.example.com/authorize","#
                    + #""token_endpoint":"https://auth.example.com/token"\#(extra)}"#)
        case "https://auth.example.com/device":
            return OAuthHTTPResponse(
                status: 200,
                json:
                    #"{"device_code":"dc","user_code":"WDJB-MJHT","verification_uri":"https://auth.example.com/activate","#
                    + #""expires_in":600,"interval":1}"#)
        case "https://auth.example.com/token":
            polls.append(1)
            return polls.elements.count == 1
                ? OAuthHTTPResponse(status: 400, json: #"{"error":"authorization_pending"}"#)
                : OAuthHTTPResponse(status: 200, json: #"{"access_token":"device-token","expires_in":600}"#)
        default:
            return FakeOAuthHTTP.notFound
        }
    }
}

@Suite("OAuth: which client signs in, and the device flow")
struct OAuthClientChoiceTests {
    @Test("without registration, a client metadata document URL is the client id where the server accepts one")
    func metadataDocument() async throws {
        let fixture = try OAuthFixture()
        let http = guardedServer(#","client_id_metadata_document_supported":true"#)
        let service = OAuthService(database: fixture.database, box: fixture.box, http: http, events: fixture.events)
        let document = "https://junction.example.org/oauth/client.json"
        let pending = try await service.begin(
            server: "notes", redirectURI: "http://127.0.0.1:9/oauth/callback",
            options: .init(clientMetadataURL: document))
        #expect(pending.provider.clientId == document && pending.provider.registration == .metadataDocument)
        #expect(pending.authorizationURL.contains("client_id=https%3A%2F%2Fjunction.example.org%2Foauth%2Fclient.json"))
        // Without the setting there is no way to get a client: the error says how to configure one.
        do {
            _ = try await service.begin(server: "notes", redirectURI: "http://127.0.0.1:9/cb", options: .init())
            Issue.record("signing in without a client must fail")
        } catch let error as OAuthError {
            #expect(error == .noClient(issuer: "https://auth.example.com"))
            #expect(error.description.contains("junction oauth-provider add"))
        }
    }

    @Test("a configured provider matching the issuer is used, with its secret, instead of registering")
    func configuredProvider() async throws {
        let fixture = try OAuthFixture()
        let http = guardedServer(#","registration_endpoint":"https://auth.example.com/register""#)
        try fixture.providers.create(
            OAuthProvider(
                name: "corp", issuer: "https://auth.example.com/", authURL: "https://auth.example.com/authorize",
                tokenURL: "https://auth.example.com/token", clientId: "corp-app", scopes: ["files"]),
            clientSecret: "corp-secret")
        let service = OAuthService(database: fixture.database, box: fixture.box, http: http, events: fixture.events)
        let pending = try await service.begin(server: "notes", redirectURI: "http://127.0.0.1:9/cb", options: .init())
        #expect(pending.provider.name == "corp" && pending.scopes == ["files"] && !pending.providerIsNew)
        #expect(http.count("https://auth.example.com/register") == 0)
        #expect(try await service.signIn.credentials(pending).clientSecret == "corp-secret")
    }

    @Test("the device flow: a user code to enter elsewhere, then the tokens once approved")
    func deviceFlow() async throws {
        let fixture = try OAuthFixture()
        let http = guardedServer(
            #","device_authorization_endpoint":"https://auth.example.com/device","registration_endpoint":"https://auth.example.com/register""#
        )
        try fixture.providers.create(
            OAuthProvider(
                name: "corp", issuer: "https://auth.example.com", authURL: "https://auth.example.com/authorize",
                tokenURL: "https://auth.example.com/token", clientId: "corp-app"), clientSecret: nil)
        let service = OAuthService(database: fixture.database, box: fixture.box, http: http, events: fixture.events)
        let (device, flow) = try await service.beginDevice(server: "notes", options: .init())
        #expect(device.userCode == "WDJB-MJHT" && device.verificationURI == "https://auth.example.com/activate")
        let signedIn = try await service.finishDevice(device, flow: flow)
        #expect(signedIn.scope.name == "notes-oauth")
        #expect(try fixture.tokens.tokens(of: signedIn.scope.id)?.accessToken == "device-token")
        let polls = http.requests.filter { $0.url == "https://auth.example.com/token" }.map(FakeOAuthHTTP.form)
        #expect(polls.count == 2 && polls.allSatisfy { $0["device_code"] == "dc" && $0["client_id"] == "corp-app" })
        #expect(polls[0]["resource"] == "https://mcp.example.com/mcp")
    }

    @Test("a server asking for more scope than the token has is not answered by a refresh")
    func insufficientScope() async throws {
        let fixture = try OAuthFixture()
        _ = try fixture.signedIn()
        let authorizer = OAuthAuthorizer(server: fixture.server, scopeId: nil, manager: fixture.manager())
        let sent = try await authorizer.authorization()
        #expect(
            await authorizer.renew(challenge: #"Bearer error="insufficient_scope", scope="admin""#, sent: sent) == nil)
        #expect(fixture.tokenRequests == 0)
    }

    @Test("the pool's hook: OAuth for URL servers, none for command servers or under an env scope")
    func authorizerHook() async throws {
        let fixture = try OAuthFixture()
        let service = OAuthService(
            database: fixture.database, box: fixture.box, http: fixture.http, events: fixture.events)
        let local = try DownstreamRepository(fixture.database).create(Downstream(name: "local", command: "/bin/true"))
        let envScope = try AuthScopeRepository(fixture.database, box: fixture.box).create(
            name: "static", server: "notes", secrets: .init(headers: ["Authorization": "Bearer static"]))
        await service.reloadScopes()
        #expect(service.authorizer(for: local, scopeId: nil) == nil)
        #expect(service.authorizer(for: fixture.server, scopeId: envScope.id) == nil)
        #expect(service.authorizer(for: fixture.server, scopeId: nil) is OAuthAuthorizer)
        let oauthScope = try fixture.signedIn()
        await service.reloadScopes()
        let authorizer = try #require(service.authorizer(for: fixture.server, scopeId: oauthScope.id))
        #expect(try await authorizer.authorization() == "Bearer at-0")
    }
}
