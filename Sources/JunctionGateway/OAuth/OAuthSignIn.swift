import Foundation
import JunctionCore
import JunctionStore

/// Signing a URL server's auth scope in: discovery, choosing or registering the client, the
/// authorization URL with PKCE and `state`, then exchanging the code and sealing the tokens.
/// Stateless: ``begin(server:redirectURI:options:)`` returns a ``Pending`` that whoever receives
/// the callback (the daemon, or the CLI's loopback listener) keeps until ``complete(_:code:)``.
public struct OAuthSignIn: Sendable {
    public let database: AppDatabase
    public let box: SecretBox
    public let http: any OAuthHTTP

    public init(database: AppDatabase, box: SecretBox, http: any OAuthHTTP) {
        self.database = database
        self.box = box
        self.http = http
    }

    var providers: OAuthProviderRepository { OAuthProviderRepository(database, box: box) }
    var tokenStore: OAuthTokenRepository { OAuthTokenRepository(database, box: box) }
    var scopeStore: AuthScopeRepository { AuthScopeRepository(database, box: box) }

    /// What the user may choose.
    public struct Options: Sendable {
        /// The auth scope to sign in (default `SERVER-oauth`, created on first sign-in).
        public var scopeName: String?
        /// OAuth scopes to ask for (default: the provider's, else what the server asks for).
        public var scopes: [String]?
        /// A configured provider to use instead of matching one by issuer.
        public var providerName: String?
        /// The client metadata document URL, for servers that accept one instead of registration.
        public var clientMetadataURL: String?

        public init(
            scopeName: String? = nil, scopes: [String]? = nil, providerName: String? = nil,
            clientMetadataURL: String? = nil
        ) {
            self.scopeName = scopeName
            self.scopes = scopes
            self.providerName = providerName
            self.clientMetadataURL = clientMetadataURL
        }
    }

    /// A sign-in waiting for its callback. Holds the PKCE verifier: keep it in memory only.
    public struct Pending: Sendable {
        public var state: String
        public var pkce: PKCE
        public var redirectURI: String
        public var authorizationURL: String
        public var server: Downstream
        public var scopeName: String
        /// The client: stored already, or registered for this sign-in and stored on success.
        public var provider: OAuthProvider
        public var newClientSecret: String?
        public var providerIsNew: Bool
        public var resource: String?
        public var scopes: [String]
        public var metadata: AuthorizationServerMetadata
        public var createdAt = Date()
    }

    /// A completed sign-in.
    public struct SignedIn: Sendable {
        public var server: Downstream
        public var scope: AuthScope
        public var token: OAuthTokenInfo
    }

    /// Discovers the server's authorization server, picks or registers the client and builds the
    /// authorization URL.
    public func begin(server name: String, redirectURI: String, options: Options = Options())
        async throws -> Pending
    {
        let prepared = try await prepare(server: name, options: options, redirectURI: redirectURI)
        let pkce = PKCE()
        let state = PKCE.randomToken()
        let url = try OAuthClient.authorizationURL(
            endpoint: prepared.provider.authURL, clientId: prepared.provider.clientId, redirectURI: redirectURI,
            scopes: prepared.scopes, state: state, pkce: pkce, resource: prepared.resource)
        return Pending(
            state: state, pkce: pkce, redirectURI: redirectURI, authorizationURL: url, server: prepared.server,
            scopeName: prepared.scopeName, provider: prepared.provider, newClientSecret: prepared.newClientSecret,
            providerIsNew: prepared.providerIsNew, resource: prepared.resource, scopes: prepared.scopes,
            metadata: prepared.metadata)
    }

    /// Exchanges the callback's code and stores the client (when new), the scope and the tokens.
    public func complete(_ pending: Pending, code: String) async throws -> SignedIn {
        let credentials = try await credentials(pending)
        let answer = try await OAuthClient(http: http).exchange(
            code: code, verifier: pending.pkce.verifier, redirectURI: pending.redirectURI, resource: pending.resource,
            tokenURL: pending.provider.tokenURL, credentials: credentials)
        return try await store(answer, for: pending)
    }

    /// The client credentials of a pending sign-in (its new registration, or the stored secret).
    func credentials(_ pending: Pending) async throws -> OAuthClient.Credentials {
        let providers = providers
        let secret =
            pending.providerIsNew
            ? pending.newClientSecret
            : try await database.run { try providers.clientSecret(of: pending.provider.id) }
        return OAuthClient.Credentials(
            clientId: pending.provider.clientId, clientSecret: secret, method: pending.provider.tokenAuthMethod.rawValue
        )
    }

    /// Stores what a successful exchange (code or device) brought.
    func store(_ answer: TokenResponse, for pending: Pending) async throws -> SignedIn {
        let tokens = Self.tokens(from: answer, requested: pending.scopes, resource: pending.resource, previous: nil)
        let (providers, scopeStore, tokenStore) = (providers, scopeStore, tokenStore)
        return try await database.run {
            var provider = pending.provider
            if pending.providerIsNew {
                if let existing = try providers.find(provider.name) {
                    provider = try providers.update(
                        existing.id,
                        { stored in
                            let id = stored.id
                            stored = pending.provider
                            stored.id = id
                        }, clientSecret: pending.newClientSecret ?? "")
                } else {
                    provider = try providers.create(provider, clientSecret: pending.newClientSecret)
                }
            }
            let scope = try scopeStore.ensureOAuth(
                name: pending.scopeName, server: pending.server.id, providerId: provider.id)
            try tokenStore.save(tokens, scopeId: scope.id)
            guard let info = try tokenStore.info(of: scope.id) else {
                throw OAuthError.invalid("the token of scope \(scope.name) was not stored")
            }
            return SignedIn(server: pending.server, scope: scope, token: info)
        }
    }

    /// A token answer as stored tokens; a refresh that brings no new refresh token keeps the old.
    static func tokens(
        from answer: TokenResponse, requested: [String], resource: String?, previous: OAuthTokenRepository.Tokens?,
        now: Date = Date()
    ) -> OAuthTokenRepository.Tokens {
        OAuthTokenRepository.Tokens(
            accessToken: answer.accessToken, refreshToken: answer.refreshToken ?? previous?.refreshToken,
            tokenType: "Bearer",
            scopes: answer.scope.map { $0.split(separator: " ").map(String.init) } ?? previous?.scopes ?? requested,
            resource: resource, issuedAt: now,
            expiresAt: answer.expiresIn.map { now.addingTimeInterval(max(0, $0)) })
    }

    struct Prepared: Sendable {
        var server: Downstream
        var scopeName: String
        var provider: OAuthProvider
        var newClientSecret: String?
        var providerIsNew: Bool
        var resource: String?
        var scopes: [String]
        var metadata: AuthorizationServerMetadata
    }

    /// Discovery and the client choice, shared by the code and device flows.
    func prepare(server name: String, options: Options, redirectURI: String?) async throws -> Prepared {
        let (providers, database) = (providers, database)
        let server = try await database.run { try DownstreamRepository(database).get(name) }
        guard let url = server.url, server.transport == .http else {
            throw OAuthError.invalid(
                "server '\(server.name)' is started by a command, not reached by URL: OAuth sign-in is for URL servers")
        }
        let scopeName = options.scopeName ?? AuthScopeRepository.defaultOAuthScopeName(server: server.name)
        let discovered = try await OAuthDiscovery(http: http).discover(serverURL: url)
        let metadata = discovered.authorizationServer
        if let methods = metadata.codeChallengeMethodsSupported, !methods.contains(PKCE.method) {
            throw OAuthError.invalid(
                "the authorization server \(metadata.issuer) does not support PKCE with S256: refusing to sign in")
        }
        var provider: OAuthProvider
        var secret: String?
        var isNew = false
        if let chosen = options.providerName {
            provider = try await database.run { try providers.get(chosen) }
        } else if let configured = try await database.run({
            try providers.match(issuer: metadata.issuer, authURL: metadata.authorizationEndpoint)
        }) {
            provider = configured
        } else {
            let clientName = String(server.name.prefix(57)) + "-client"
            let existing = try await database.run { try providers.find(clientName) }
            if let existing, existing.registration != .manual, existing.issuer == metadata.issuer,
                redirectURI.map(existing.redirectURIs.contains) ?? true
            {
                provider = existing
            } else if redirectURI == nil, metadata.deviceAuthorizationEndpoint == nil {
                throw OAuthError.invalid(Self.noDeviceFlow(issuer: metadata.issuer, server: server.name))
            } else if let endpoint = metadata.registrationEndpoint {
                let redirects = redirectURI.map { [$0] } ?? ["http://127.0.0.1/oauth/callback"]
                let registered = try await OAuthClient(http: http).register(
                    at: endpoint, metadata: metadata, redirectURIs: redirects,
                    scopes: options.scopes ?? discovered.scopes, device: redirectURI == nil)
                provider = Self.provider(
                    named: clientName, metadata: metadata, clientId: registered.clientId, registration: .dynamic,
                    method: registered.tokenAuthMethod, redirects: registered.redirectURIs)
                secret = registered.clientSecret
                isNew = true
            } else if metadata.clientIdMetadataDocumentSupported == true, let document = options.clientMetadataURL {
                provider = Self.provider(
                    named: clientName, metadata: metadata, clientId: document, registration: .metadataDocument,
                    method: "none", redirects: redirectURI.map { [$0] } ?? [])
                isNew = true
            } else {
                throw OAuthError.noClient(issuer: metadata.issuer)
            }
        }
        let scopes = options.scopes ?? (provider.scopes.isEmpty ? discovered.scopes : provider.scopes)
        return Prepared(
            server: server, scopeName: scopeName, provider: provider, newClientSecret: secret, providerIsNew: isNew,
            resource: discovered.resource, scopes: scopes, metadata: metadata)
    }

    /// Why the device flow cannot be used, and what to do instead.
    static func noDeviceFlow(issuer: String, server: String) -> String {
        "the authorization server \(issuer) offers no device authorization: "
            + "sign in with the browser instead (junction auth login \(server) --no-browser)"
    }

    static func provider(
        named name: String, metadata: AuthorizationServerMetadata, clientId: String,
        registration: OAuthProvider.Registration, method: String, redirects: [String]
    ) -> OAuthProvider {
        OAuthProvider(
            name: name, issuer: metadata.issuer, authURL: metadata.authorizationEndpoint,
            tokenURL: metadata.tokenEndpoint, revocationURL: metadata.revocationEndpoint,
            deviceAuthorizationURL: metadata.deviceAuthorizationEndpoint, clientId: clientId,
            registration: registration,
            tokenAuthMethod: OAuthProvider.TokenAuthMethod(rawValue: method) ?? .clientSecretPost,
            redirectURIs: redirects)
    }
}
