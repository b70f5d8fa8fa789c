import Foundation
import JunctionCore
import JunctionStore
import Logging
import Synchronization

/// Everything OAuth the engine (or the CLI on its own) does: sign-ins waiting for their callback,
/// the token manager behind the HTTP transport's authorizers, signing out, and the background
/// refresher. Publishes `oauth.*` events on the engine's bus.
public final class OAuthService: Sendable {
    public let database: AppDatabase
    public let box: SecretBox
    public let http: any OAuthHTTP
    public let events: EventBus
    public let manager: OAuthTokenManager
    public let signIn: OAuthSignIn
    /// Sign-ins waiting for their callback, by `state`.
    private let pending = Mutex<[String: OAuthSignIn.Pending]>([:])
    /// How each server's latest sign-in ended (for status pages while one is in progress).
    private let outcomes = Mutex<[String: Outcome]>([:])
    /// The kind of every auth scope, for choosing authorizers without a database read.
    private let scopeKinds = Mutex<[String: AuthScope.Kind]>([:])
    /// How long a started sign-in waits for its callback.
    public static let pendingLifetime: TimeInterval = 600
    private let logger = Logger(label: "junction.oauth")

    /// The latest sign-in of a server.
    public enum Outcome: Sendable, Equatable {
        case pending(state: String)
        case connected(scopeId: String)
        case failed(String)
    }

    public init(database: AppDatabase, box: SecretBox, http: any OAuthHTTP = LiveOAuthHTTP(), events: EventBus) {
        self.database = database
        self.box = box
        self.http = http
        self.events = events
        self.manager = OAuthTokenManager(database: database, box: box, http: http, events: events)
        self.signIn = OAuthSignIn(database: database, box: box, http: http)
    }

    // MARK: - Authorizers

    /// The authorizer of a URL server: OAuth unless its auth scope is an env scope (whose sealed
    /// headers the transport sends as they are); nil for command servers.
    public func authorizer(for downstream: Downstream, scopeId: String?) -> (any HTTPAuthorizer)? {
        guard downstream.transport == .http else { return nil }
        if let scopeId, scopeKinds.withLock({ $0[scopeId] }) == .env { return nil }
        return OAuthAuthorizer(server: downstream, scopeId: scopeId, manager: manager)
    }

    /// Re-reads the kinds of the auth scopes (after a configuration change).
    public func reloadScopes() async {
        let (database, box) = (database, box)
        guard let scopes = try? await database.run({ try AuthScopeRepository(database, box: box).list() }) else {
            return
        }
        scopeKinds.withLock { kinds in
            kinds = Dictionary(scopes.map { ($0.id, $0.kind) }, uniquingKeysWith: { first, _ in first })
        }
    }

    // MARK: - Signing in

    /// Starts a sign-in whose callback lands at `redirectURI`; keeps it until the callback.
    public func begin(server: String, redirectURI: String, options: OAuthSignIn.Options) async throws
        -> OAuthSignIn.Pending
    {
        let started = try await signIn.begin(server: server, redirectURI: redirectURI, options: options)
        let now = Date()
        pending.withLock { pending in
            pending = pending.filter { now.timeIntervalSince($0.value.createdAt) < Self.pendingLifetime }
            pending[started.state] = started
        }
        outcomes.withLock { $0[started.server.id] = .pending(state: started.state) }
        return started
    }

    /// The sign-in a callback's `state` belongs to, removed (a state is good for one callback).
    public func take(state: String) -> OAuthSignIn.Pending? {
        pending.withLock { pending in
            guard let found = pending.removeValue(forKey: state),
                Date().timeIntervalSince(found.createdAt) < Self.pendingLifetime
            else { return nil }
            return found
        }
    }

    /// Handles a callback: `code` and `state`, or the server's `error`.
    public func callback(state: String?, code: String?, error: String?, errorDescription: String?) async throws
        -> OAuthSignIn.SignedIn
    {
        guard let state, let flow = take(state: state) else { throw OAuthError.unknownState }
        do {
            if let error { throw OAuthError.denied(error: error, description: errorDescription) }
            guard let code, !code.isEmpty else { throw OAuthError.invalid("the callback carries no code") }
            return await finish(try await signIn.complete(flow, code: code))
        } catch {
            outcomes.withLock { $0[flow.server.id] = .failed(String(describing: error)) }
            throw error
        }
    }

    /// Records a completed sign-in: forgets cached tokens, tells the event feed.
    public func finish(_ signedIn: OAuthSignIn.SignedIn) async -> OAuthSignIn.SignedIn {
        await manager.forget(scopeId: signedIn.scope.id)
        scopeKinds.withLock { $0[signedIn.scope.id] = .oauth }
        outcomes.withLock { $0[signedIn.server.id] = .connected(scopeId: signedIn.scope.id) }
        logger.info("oauth: signed in", metadata: ["junction.downstream": "\(signedIn.server.name)"])
        events.publish(
            EventType.oauthConnected,
            EventPayload.OAuthChanged(
                serverId: signedIn.server.id, serverName: signedIn.server.name, authScopeId: signedIn.scope.id,
                authScopeName: signedIn.scope.name, expiresAt: signedIn.token.expiresAt, scopes: signedIn.token.scopes))
        return signedIn
    }

    /// How the latest sign-in of a server ended, if one ran in this process.
    public func outcome(serverId: String) -> Outcome? {
        outcomes.withLock { $0[serverId] }
    }

    // MARK: - Device flow

    /// Starts a device authorization (RFC 8628) when the server's authorization server offers it.
    public func beginDevice(server: String, options: OAuthSignIn.Options) async throws -> (
        DeviceAuthorization, OAuthSignIn.Pending
    ) {
        let prepared = try await signIn.prepare(server: server, options: options, redirectURI: nil)
        guard let endpoint = prepared.metadata.deviceAuthorizationEndpoint ?? prepared.provider.deviceAuthorizationURL
        else {
            throw OAuthError.invalid(
                OAuthSignIn.noDeviceFlow(issuer: prepared.metadata.issuer, server: prepared.server.name))
        }
        let flow = OAuthSignIn.Pending(
            state: PKCE.randomToken(), pkce: PKCE(), redirectURI: "", authorizationURL: "", server: prepared.server,
            scopeName: prepared.scopeName, provider: prepared.provider, newClientSecret: prepared.newClientSecret,
            providerIsNew: prepared.providerIsNew, resource: prepared.resource, scopes: prepared.scopes,
            metadata: prepared.metadata)
        let credentials = try await signIn.credentials(flow)
        let device = try await OAuthClient(http: http).deviceAuthorization(
            at: endpoint, scopes: prepared.scopes, resource: prepared.resource, credentials: credentials)
        return (device, flow)
    }

    /// Polls until the user approved the device code, then stores the tokens.
    public func finishDevice(_ device: DeviceAuthorization, flow: OAuthSignIn.Pending) async throws
        -> OAuthSignIn.SignedIn
    {
        let credentials = try await signIn.credentials(flow)
        let answer = try await OAuthClient(http: http).pollDevice(
            device, resource: flow.resource, tokenURL: flow.provider.tokenURL, credentials: credentials)
        return await finish(try await signIn.store(answer, for: flow))
    }

    // MARK: - Signing out

    /// Signs a server's OAuth scopes (or the one named) out: revokes the tokens where the
    /// authorization server offers revocation (RFC 7009), then deletes them. Returns the scopes
    /// that had tokens.
    @discardableResult
    public func signOut(server: String, scopeName: String? = nil) async throws -> [AuthScope] {
        let (database, box) = (database, box)
        let (downstream, scopes) = try await database.run {
            let downstream = try DownstreamRepository(database).get(server)
            let all = try AuthScopeRepository(database, box: box).oauthScopes(downstreamId: downstream.id)
            return (downstream, all.filter { scopeName == nil || $0.name == scopeName || $0.id == scopeName })
        }
        var signedOut: [AuthScope] = []
        for scope in scopes where try await revoke(scope) {
            await manager.forget(scopeId: scope.id)
            signedOut.append(scope)
            events.publish(
                EventType.oauthRevoked,
                EventPayload.OAuthChanged(
                    serverId: downstream.id, serverName: downstream.name, authScopeId: scope.id,
                    authScopeName: scope.name))
        }
        outcomes.withLock { $0[downstream.id] = nil }
        return signedOut
    }

    /// Revokes (best effort: a server that cannot be reached does not keep the user signed in)
    /// and deletes one scope's tokens; false when it had none.
    private func revoke(_ scope: AuthScope) async throws -> Bool {
        let (database, box) = (database, box)
        let tokenStore = OAuthTokenRepository(database, box: box)
        let providers = OAuthProviderRepository(database, box: box)
        let (tokens, provider, secret) = try await database.run {
            let provider = try scope.oauthProviderId.flatMap { try providers.find($0) }
            return (
                try tokenStore.tokens(of: scope.id), provider,
                try provider.flatMap { try providers.clientSecret(of: $0.id) }
            )
        }
        guard let tokens else { return false }
        if let provider, let endpoint = provider.revocationURL {
            let client = OAuthClient(http: http)
            let credentials = OAuthClient.Credentials(
                clientId: provider.clientId, clientSecret: secret, method: provider.tokenAuthMethod.rawValue)
            var revocations = [(tokens.accessToken, "access_token")]
            if let refresh = tokens.refreshToken { revocations.insert((refresh, "refresh_token"), at: 0) }
            for (token, hint) in revocations {
                do {
                    try await client.revoke(token: token, hint: hint, at: endpoint, credentials: credentials)
                } catch {
                    logger.warning("oauth: revoking the \(hint) of scope \(scope.name) failed: \(error)")
                }
            }
        }
        return try await database.run { try tokenStore.delete(scopeId: scope.id) }
    }

    /// The background refresher; runs until cancelled.
    public func run() async {
        await reloadScopes()
        var refresher = OAuthRefresher(manager: manager)
        let database = database
        if let seconds = try? await database.run({ try SettingsRepository(database).value(.oauthRefreshCheckSec) }) {
            refresher.interval = .seconds(max(1, seconds))
        }
        await refresher.run()
    }
}
