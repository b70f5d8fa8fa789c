import Foundation
import JunctionCore
import JunctionStore
import Synchronization
import Testing

@testable import JunctionGateway

/// A database with one URL server, and a fake authorization server that issues numbered tokens
/// (`at-1`, `at-2`, …) with a configurable delay and can refuse refreshes.
final class OAuthFixture: Sendable {
    let directory: TemporaryDirectory
    let database: AppDatabase
    let box = SecretBox(key: .init(data: Data(repeating: 9, count: 32)))
    let events = EventBus()
    let http: FakeOAuthHTTP
    let issued = TokenCounter()
    let server: Downstream

    static let tokenURL = "https://auth.example.com/token"

    init(refuseRefresh: Bool = false, tokenDelay: Duration = .zero) throws {
        directory = try TemporaryDirectory()
        database = try AppDatabase.open(path: directory.file("junction.db"))
        server = try DownstreamRepository(database).create(
            Downstream(name: "notes", transport: .http, url: "https://mcp.example.com/mcp"))
        let issued = issued
        http = FakeOAuthHTTP { request throws(OAuthError) in
            try? await Task.sleep(for: tokenDelay)
            let form = FakeOAuthHTTP.form(request)
            if request.url.hasSuffix("/revoke") { return OAuthHTTPResponse(status: 200) }
            if form["grant_type"] == "refresh_token" && refuseRefresh {
                return OAuthHTTPResponse(status: 400, json: #"{"error":"invalid_grant","error_description":"revoked"}"#)
            }
            let number = issued.next()
            return OAuthHTTPResponse(
                status: 200,
                json:
                    #"{"access_token":"at-\#(number)","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-\#(number)"}"#
            )
        }
    }

    var providers: OAuthProviderRepository { OAuthProviderRepository(database, box: box) }
    var tokens: OAuthTokenRepository { OAuthTokenRepository(database, box: box) }

    /// A signed-in scope whose token was issued `age` ago and lives `life`.
    func signedIn(age: TimeInterval = 0, life: TimeInterval = 3600, refreshToken: String? = "rt-0") throws -> AuthScope
    {
        let provider = try providers.create(
            OAuthProvider(
                name: "notes-app", authURL: "https://auth.example.com/authorize", tokenURL: Self.tokenURL,
                revocationURL: "https://auth.example.com/revoke", clientId: "cid"), clientSecret: nil)
        let scope = try AuthScopeRepository(database, box: box).ensureOAuth(
            name: "notes-oauth", server: "notes", providerId: provider.id)
        let issuedAt = Date().addingTimeInterval(-age)
        try tokens.save(
            .init(
                accessToken: "at-0", refreshToken: refreshToken, resource: "https://mcp.example.com/mcp",
                issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(life)), scopeId: scope.id)
        return scope
    }

    func manager() -> OAuthTokenManager {
        OAuthTokenManager(database: database, box: box, http: http, events: events)
    }

    var tokenRequests: Int { http.count(Self.tokenURL) }
}

/// How many tokens the fake authorization server issued.
final class TokenCounter: Sendable {
    private let count = Atomic<Int>(0)

    func next() -> Int { count.add(1, ordering: .relaxed).newValue }
}

@Suite("OAuth tokens: refresh, single flight, background refresh, sign-in and sign-out")
struct OAuthTokenManagerTests {
    @Test("a valid token is handed out as a Bearer header without a token request")
    func validToken() async throws {
        let fixture = try OAuthFixture()
        let scope = try fixture.signedIn()
        let authorizer = OAuthAuthorizer(server: fixture.server, scopeId: nil, manager: fixture.manager())
        #expect(try await authorizer.authorization() == "Bearer at-0")
        #expect(fixture.tokenRequests == 0)
        _ = scope
    }

    @Test("a token about to expire is refreshed before it is sent; the new one is stored sealed")
    func refreshBeforeExpiry() async throws {
        let fixture = try OAuthFixture()
        let scope = try fixture.signedIn(age: 3570)
        let manager = fixture.manager()
        #expect(try await manager.authorization(scopeId: scope.id) == "Bearer at-1")
        let stored = try #require(try fixture.tokens.tokens(of: scope.id))
        #expect(stored.accessToken == "at-1" && stored.refreshToken == "rt-1")
        #expect(stored.resource == "https://mcp.example.com/mcp")
        let form = FakeOAuthHTTP.form(try #require(fixture.http.requests.first))
        #expect(form["refresh_token"] == "rt-0" && form["resource"] == "https://mcp.example.com/mcp")
        try await fixture.database.writer.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let file = try Data(contentsOf: URL(fileURLWithPath: fixture.directory.file("junction.db")))
        #expect(file.range(of: Data("rt-1".utf8)) == nil && file.range(of: Data("at-1".utf8)) == nil)
    }

    @Test("20 callers refused with the same token share one refresh")
    func singleFlight() async throws {
        let fixture = try OAuthFixture(tokenDelay: .milliseconds(200))
        let scope = try fixture.signedIn()
        let authorizer = OAuthAuthorizer(server: fixture.server, scopeId: scope.id, manager: fixture.manager())
        let sent = try await authorizer.authorization()
        let renewed = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<20 {
                group.addTask { await authorizer.renew(challenge: "Bearer error=\"invalid_token\"", sent: sent) }
            }
            var all: [String?] = []
            for await value in group { all.append(value) }
            return all
        }
        #expect(renewed.count == 20 && renewed.allSatisfy { $0 == "Bearer at-1" })
        #expect(fixture.tokenRequests == 1)
        // A caller still holding the old token after the refresh gets the new one without a request.
        #expect(await authorizer.renew(challenge: nil, sent: sent) == "Bearer at-1")
        #expect(fixture.tokenRequests == 1)
    }

    @Test("a refused refresh is recorded, published as oauth.refresh_failed, and means sign in again")
    func refreshFailure() async throws {
        let fixture = try OAuthFixture(refuseRefresh: true)
        let scope = try fixture.signedIn()
        let feed = EventFeed(fixture.events.subscribe(after: nil, types: nil))
        defer { feed.stop() }
        let manager = fixture.manager()
        #expect(await manager.renew(scopeId: scope.id, sent: "Bearer at-0") == nil)
        let payload = try await feed.first(EventType.oauthRefreshFailed)
        let reason = payload["reason"]?.stringValue ?? ""
        #expect(reason.contains("invalid_grant") && reason.contains("junction auth login notes"))
        #expect(payload["server_name"]?.stringValue == "notes" && !payload.description.contains("rt-0"))
        #expect(try fixture.tokens.info(of: scope.id)?.lastError?.contains("invalid_grant") == true)
        // The next 401 within the pause sends no new token request.
        #expect(await manager.renew(scopeId: scope.id, sent: "Bearer at-0") == nil)
        #expect(fixture.tokenRequests == 1)
    }

    @Test("a token another process refreshed meanwhile is used without a token request")
    func refreshedElsewhere() async throws {
        let fixture = try OAuthFixture()
        let scope = try fixture.signedIn()
        let manager = fixture.manager()
        #expect(try await manager.authorization(scopeId: scope.id) == "Bearer at-0")
        try fixture.tokens.save(
            .init(
                accessToken: "at-elsewhere", refreshToken: "rt-elsewhere", expiresAt: Date().addingTimeInterval(3600)),
            scopeId: scope.id)
        #expect(
            await manager.refresh(scopeId: scope.id)
                == .refreshed(try #require(try fixture.tokens.tokens(of: scope.id))))
        #expect(try await manager.authorization(scopeId: scope.id) == "Bearer at-elsewhere")
        #expect(fixture.tokenRequests == 0)
    }

    @Test("no token stored: no header, and a 401 cannot be renewed")
    func notSignedIn() async throws {
        let fixture = try OAuthFixture()
        let authorizer = OAuthAuthorizer(server: fixture.server, scopeId: nil, manager: fixture.manager())
        #expect(try await authorizer.authorization() == nil)
        #expect(await authorizer.renew(challenge: nil, sent: nil) == nil)
        // Signing in later takes effect without a new authorizer.
        _ = try fixture.signedIn()
        #expect(await authorizer.renew(challenge: nil, sent: nil) == "Bearer at-0")
    }

    @Test("the background refresher refreshes tokens past 80% of their life and publishes it")
    func backgroundRefresh() async throws {
        let fixture = try OAuthFixture()
        let scope = try fixture.signedIn(age: 2000, life: 3600)
        let feed = EventFeed(fixture.events.subscribe(after: nil, types: nil))
        defer { feed.stop() }
        let refresher = OAuthRefresher(manager: fixture.manager())
        #expect(await refresher.tick(now: Date()).isEmpty)
        #expect(await refresher.tick(now: Date().addingTimeInterval(1000)) == [scope.id])
        #expect(try await feed.first(EventType.oauthTokenRefreshed)["auth_scope_name"]?.stringValue == "notes-oauth")
        // The new token is young again: nothing more is due.
        #expect(await refresher.tick(now: Date().addingTimeInterval(1000)).isEmpty)
        #expect(fixture.tokenRequests == 1)
    }

    @Test("the refresher leaves a failed refresh for five minutes, unless the machine just woke")
    func refresherBackoff() async throws {
        let fixture = try OAuthFixture(refuseRefresh: true)
        let scope = try fixture.signedIn(age: 3500, life: 3600)
        let refresher = OAuthRefresher(manager: fixture.manager())
        #expect(await refresher.tick(now: Date()) == [scope.id])
        #expect(await refresher.tick(now: Date().addingTimeInterval(60)).isEmpty)
        #expect(await refresher.tick(now: Date().addingTimeInterval(60), woke: true) == [scope.id])
        #expect(await refresher.tick(now: Date().addingTimeInterval(400)) == [scope.id])
        #expect(fixture.tokenRequests == 3)
        // Tokens without a refresh token are never due.
        let other = try OAuthFixture()
        _ = try other.signedIn(age: 4000, life: 3600, refreshToken: nil)
        #expect(await OAuthRefresher(manager: other.manager()).tick(now: Date()).isEmpty)
    }

    @Test("signing in registers a client dynamically, checks state, and stores the tokens; signing out revokes")
    func signInAndOut() async throws {
        let fixture = try OAuthFixture()
        let http = FakeOAuthHTTP { request throws(OAuthError) in
            switch request.url {
            case "https://mcp.example.com/mcp":
                return OAuthHTTPResponse(
                    status: 401,
                    headers: ["www-authenticate": #"Bearer resource_metadata="https://mcp.example.com/prm""#])
            case "https://mcp.example.com/prm":
                return OAuthHTTPResponse(
                    status: 200,
                    json:
                        #"{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com"]}"#
                )
            case "https://auth.example.com/.well-known/oauth-authorization-server":
                return OAuthHTTPResponse(
                    status: 200,
                    json:
                        #"{"issuer":"https://auth.example.com","authorization_endpoint":"https://auth.example.com/authorize","#
                        + #""token_endpoint":"https://auth.example.com/token","registration_endpoint":"https://auth.example.com/register","#
                        + #""revocation_endpoint":"https://auth.example.com/revoke","scopes_supported":["notes"]}"#)
            case "https://auth.example.com/register":
                return OAuthHTTPResponse(status: 201, json: #"{"client_id":"registered-1"}"#)
            case "https://auth.example.com/token":
                return OAuthHTTPResponse(
                    status: 200,
                    json: #"{"access_token":"first","token_type":"Bearer","expires_in":60,"refresh_token":"r"}"#)
            case "https://auth.example.com/revoke":
                return OAuthHTTPResponse(status: 200)
            default:
                return FakeOAuthHTTP.notFound
            }
        }
        let service = OAuthService(database: fixture.database, box: fixture.box, http: http, events: fixture.events)
        let feed = EventFeed(fixture.events.subscribe(after: nil, types: nil))
        defer { feed.stop() }
        let redirect = "http://127.0.0.1:4567/oauth/callback"
        let pending = try await service.begin(server: "notes", redirectURI: redirect, options: .init())
        let query = Dictionary(
            (URLComponents(string: pending.authorizationURL)?.queryItems ?? []).map { ($0.name, $0.value ?? "") },
            uniquingKeysWith: { a, _ in a })
        #expect(query["client_id"] == "registered-1" && query["resource"] == "https://mcp.example.com/mcp")
        #expect(query["state"] == pending.state && query["code_challenge"] == pending.pkce.challenge)
        #expect(try fixture.providers.list().isEmpty, "the registered client is stored only once signed in")

        await #expect(throws: OAuthError.unknownState) {
            _ = try await service.callback(state: "forged", code: "c", error: nil, errorDescription: nil)
        }
        let signedIn = try await service.callback(state: pending.state, code: "c", error: nil, errorDescription: nil)
        #expect(signedIn.scope.name == "notes-oauth" && signedIn.scope.kind == .oauth)
        #expect(try fixture.providers.get("notes-client").registration == .dynamic)
        #expect(try fixture.tokens.tokens(of: signedIn.scope.id)?.accessToken == "first")
        let exchange = try #require(http.requests.last { $0.url == "https://auth.example.com/token" })
        #expect(FakeOAuthHTTP.form(exchange)["code_verifier"] == pending.pkce.verifier)
        _ = try await feed.first(EventType.oauthConnected)
        await #expect(throws: OAuthError.unknownState) {
            _ = try await service.callback(state: pending.state, code: "c", error: nil, errorDescription: nil)
        }

        #expect(try await service.signOut(server: "notes").map(\.name) == ["notes-oauth"])
        let revoked = http.requests.filter { $0.url == "https://auth.example.com/revoke" }.map(FakeOAuthHTTP.form)
        #expect(revoked.map { $0["token"] } == ["r", "first"])
        #expect(try fixture.tokens.tokens(of: signedIn.scope.id) == nil)
        _ = try await feed.first(EventType.oauthRevoked)
    }
}
