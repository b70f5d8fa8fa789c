import Foundation
import JunctionCore
import JunctionStore
import Testing

@Suite("OAuth providers and tokens")
struct OAuthRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
        try store.server("linear")
    }

    var providers: OAuthProviderRepository { OAuthProviderRepository(store.database, box: TestStore.box) }
    var tokens: OAuthTokenRepository { OAuthTokenRepository(store.database, box: TestStore.box) }

    func provider(_ name: String = "linear-app", issuer: String? = "https://auth.example.com") -> OAuthProvider {
        OAuthProvider(
            name: name, issuer: issuer, authURL: "https://auth.example.com/authorize",
            tokenURL: "https://auth.example.com/token", clientId: "client-1", scopes: ["read"])
    }

    @Test("a provider is stored with its secret sealed; the encoded form says only that it is set")
    func providerSecretSealed() throws {
        let created = try providers.create(provider(), clientSecret: "s3cret-client-value")
        #expect(created.hasClientSecret)
        #expect(try providers.clientSecret(of: "linear-app") == "s3cret-client-value")
        let json = String(decoding: try JSONEncoder().encode(try providers.get(created.id)), as: UTF8.self)
        #expect(json.contains(#""client_secret":"set""#) && !json.contains("s3cret"))
        try store.close()
        #expect(try !Files.databaseFilesContain("s3cret-client-value", databasePath: store.path))
    }

    @Test("bad provider input is refused with the field named")
    func providerValidation() throws {
        var bad = provider()
        bad.tokenURL = "ftp://x"
        #expect(throws: StoreError.self) { try providers.create(bad, clientSecret: nil) }
        try providers.create(provider(), clientSecret: nil)
        #expect(throws: StoreError.duplicate(kind: "oauth provider", field: "name", value: "linear-app")) {
            try providers.create(provider(), clientSecret: nil)
        }
    }

    @Test("updating keeps the secret unless told, and an empty secret removes it")
    func providerUpdate() throws {
        try providers.create(provider(), clientSecret: "one")
        let renamed = try providers.update("linear-app") { $0.scopes = ["read", "write"] }
        #expect(renamed.scopes == ["read", "write"] && renamed.hasClientSecret)
        #expect(try providers.clientSecret(of: renamed.id) == "one")
        let cleared = try providers.update(renamed.id, { _ in }, clientSecret: "")
        let secret = try providers.clientSecret(of: renamed.id)
        #expect(!cleared.hasClientSecret && secret == nil)
    }

    @Test("a configured provider matches by issuer, else by authorization endpoint; registered clients never do")
    func match() throws {
        var registered = provider("registered", issuer: "https://auth.example.com/")
        registered.registration = .dynamic
        try providers.create(registered, clientSecret: nil)
        try providers.create(provider("manual", issuer: "https://auth.example.com"), clientSecret: nil)
        try providers.create(provider("by-endpoint", issuer: nil), clientSecret: nil)
        #expect(try providers.match(issuer: "https://auth.example.com", authURL: "x")?.name == "manual")
        #expect(
            try providers.match(issuer: "https://other", authURL: "https://auth.example.com/authorize")?.name
                == "by-endpoint")
        #expect(try providers.match(issuer: "https://other", authURL: "https://other/authorize") == nil)
    }

    @Test("the OAuth scope is created on first sign-in, reused after, and a provider in use is kept")
    func scopes() throws {
        let app = try providers.create(provider(), clientSecret: nil)
        let name = AuthScopeRepository.defaultOAuthScopeName(server: "linear")
        #expect(name == "linear-oauth")
        let scope = try store.scopes().ensureOAuth(name: name, server: "linear", providerId: app.id)
        #expect(scope.kind == .oauth && scope.oauthProviderId == app.id)
        #expect(try store.scopes().ensureOAuth(name: name, server: "linear", providerId: app.id).id == scope.id)
        #expect(throws: StoreError.self) { try providers.delete(app.id) }
        try store.scope("env-scope", server: "linear")
        #expect(throws: StoreError.self) {
            try store.scopes().ensureOAuth(name: "env-scope", server: "linear", providerId: app.id)
        }
    }

    @Test("tokens are sealed: neither the rows nor the database files hold them, and they read back whole")
    func tokensSealed() throws {
        let app = try providers.create(provider(), clientSecret: nil)
        let scope = try store.scopes().ensureOAuth(name: "linear-oauth", server: "linear", providerId: app.id)
        let expiry = Date(timeIntervalSince1970: 2_000_000_000)
        let saved = OAuthTokenRepository.Tokens(
            accessToken: "at-plaintext-marker", refreshToken: "rt-plaintext-marker", scopes: ["read"],
            resource: "https://mcp.example.com/mcp", issuedAt: Date(timeIntervalSince1970: 1_999_996_400),
            expiresAt: expiry)
        try tokens.save(saved, scopeId: scope.id)
        #expect(try tokens.tokens(of: scope.id) == saved)
        try tokens.recordFailure("invalid_grant: refresh token revoked", scopeId: scope.id)
        let info = try #require(try tokens.info(of: scope.id))
        #expect(info.hasRefreshToken && info.expiresAt == expiry && info.lastError?.hasPrefix("invalid_grant") == true)
        #expect(info.state(at: expiry.addingTimeInterval(1)) == "refreshable")
        let json = String(decoding: try JSONEncoder().encode(info), as: UTF8.self)
        #expect(!json.contains("plaintext-marker"))
        try tokens.save(
            OAuthTokenRepository.Tokens(accessToken: "at2-plaintext-marker", refreshToken: nil, expiresAt: nil),
            scopeId: scope.id)
        #expect(try tokens.info(of: scope.id)?.lastError == nil)
        #expect(try tokens.all().count == 1)
        try store.close()
        for marker in ["at-plaintext-marker", "rt-plaintext-marker", "at2-plaintext-marker"] {
            #expect(try !Files.databaseFilesContain(marker, databasePath: store.path))
        }
    }

    @Test("signing out deletes the tokens; deleting the scope deletes them too")
    func deletion() throws {
        let app = try providers.create(provider(), clientSecret: nil)
        let scope = try store.scopes().ensureOAuth(name: "linear-oauth", server: "linear", providerId: app.id)
        try tokens.save(.init(accessToken: "a", refreshToken: nil, expiresAt: nil), scopeId: scope.id)
        #expect(try tokens.delete(scopeId: scope.id))
        #expect(try !tokens.delete(scopeId: scope.id))
        try tokens.save(.init(accessToken: "a", refreshToken: nil, expiresAt: nil), scopeId: scope.id)
        try store.scopes().delete(scope.id)
        #expect(try tokens.all().isEmpty)
    }
}
