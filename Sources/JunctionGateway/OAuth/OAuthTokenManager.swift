import Foundation
import JunctionCore
import JunctionStore
import Logging

/// Hands out the access tokens of OAuth auth scopes and refreshes them: before expiry, on a 401,
/// and for the background refresher. One refresh at a time per scope: callers that need one
/// while it runs wait for it and share its result. Tokens live sealed in the database; this
/// actor keeps the current ones in memory so a call costs no database read.
public actor OAuthTokenManager {
    public let database: AppDatabase
    public let box: SecretBox
    public let http: any OAuthHTTP
    public let events: EventBus?
    /// Refresh when less than this is left of a token's life.
    public let expiryMargin: TimeInterval
    private let now: @Sendable () -> Date
    private var cache: [String: OAuthTokenRepository.Tokens] = [:]
    private var refreshing: [String: Task<Outcome, Never>] = [:]
    /// Bumped by every refresh of a scope: a read that started before it must not replace it.
    private var generation: [String: Int] = [:]
    /// The last failed refresh per scope, with its reason: no new attempt for `retryAfterFailure`.
    private var lastFailure: [String: (time: Date, reason: String)] = [:]
    /// How long after a failed refresh the next may be tried (the background refresher excepted).
    public let retryAfterFailure: TimeInterval
    private let logger = Logger(label: "junction.oauth")

    /// How a refresh ended.
    public enum Outcome: Sendable, Equatable {
        case refreshed(OAuthTokenRepository.Tokens)
        case failed(String)
    }

    public init(
        database: AppDatabase, box: SecretBox, http: any OAuthHTTP, events: EventBus?,
        expiryMargin: TimeInterval = 60, retryAfterFailure: TimeInterval = 10,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.retryAfterFailure = retryAfterFailure
        self.database = database
        self.box = box
        self.http = http
        self.events = events
        self.expiryMargin = expiryMargin
        self.now = now
    }

    /// The `Authorization` value for a scope (nil: no token stored), refreshed first when it is
    /// about to expire.
    public func authorization(scopeId: String) async throws -> String? {
        var tokens: OAuthTokenRepository.Tokens
        if let cached = cache[scopeId] {
            tokens = cached
        } else {
            guard let stored = try await load(scopeId) else { return nil }
            tokens = stored
        }
        if let expiry = tokens.expiresAt, expiry.timeIntervalSince(now()) < expiryMargin, tokens.refreshToken != nil,
            case .refreshed(let fresh) = await refresh(scopeId: scopeId)
        {
            tokens = fresh
        }
        return Self.header(tokens)
    }

    /// A request sent with `sent` was refused (401): the stored token when another caller or
    /// process already replaced it, else a refreshed one; nil when only signing in again helps.
    public func renew(scopeId: String, sent: String?) async -> String? {
        if refreshing[scopeId] == nil {
            let before = generation[scopeId, default: 0]
            guard let stored = try? await load(scopeId) else { return nil }
            if generation[scopeId, default: 0] != before, let current = cache[scopeId] { return Self.header(current) }
            if Self.header(stored) != sent { return Self.header(stored) }
            guard stored.refreshToken != nil else { return nil }
        }
        if case .refreshed(let fresh) = await refresh(scopeId: scopeId) { return Self.header(fresh) }
        return nil
    }

    /// Refreshes a scope's token, or joins the refresh already running for it.
    /// `force` skips the pause after a failure (the background refresher's own schedule).
    @discardableResult
    public func refresh(scopeId: String, force: Bool = false) async -> Outcome {
        if let running = refreshing[scopeId] { return await running.value }
        if !force, let failure = lastFailure[scopeId], now().timeIntervalSince(failure.time) < retryAfterFailure {
            return .failed(failure.reason)
        }
        // Unstructured so that a caller giving up does not cancel the refresh the others share;
        // it ends by itself (one token request) and is awaited below.
        let known = cache[scopeId]?.accessToken
        let task = Task { [database, box, http, events, now, logger, expiryMargin] in
            await Self.performRefresh(
                scopeId: scopeId, known: known, margin: expiryMargin, database: database, box: box, http: http,
                events: events, now: now(), logger: logger)
        }
        refreshing[scopeId] = task
        let outcome = await task.value
        refreshing[scopeId] = nil
        switch outcome {
        case .refreshed(let tokens):
            cache[scopeId] = tokens
            generation[scopeId, default: 0] += 1
            lastFailure[scopeId] = nil
        case .failed(let reason):
            lastFailure[scopeId] = (now(), reason)
        }
        return outcome
    }

    /// Forgets a scope's cached token (after signing out or in).
    public func forget(scopeId: String) {
        cache[scopeId] = nil
        lastFailure[scopeId] = nil
        generation[scopeId, default: 0] += 1
    }

    /// Reads a scope's tokens from the database into the cache.
    func load(_ scopeId: String) async throws -> OAuthTokenRepository.Tokens? {
        let store = OAuthTokenRepository(database, box: box)
        let before = generation[scopeId, default: 0]
        let tokens = try await database.run { try store.tokens(of: scopeId) }
        guard generation[scopeId, default: 0] == before else { return cache[scopeId] ?? tokens }
        cache[scopeId] = tokens
        return tokens
    }

    static func header(_ tokens: OAuthTokenRepository.Tokens) -> String { "Bearer " + tokens.accessToken }

    /// Refreshes with the stored refresh token. `known` is the access token this process last
    /// saw: when the database holds another, still good, one, another process (the CLI, an
    /// embedded session, the daemon) refreshed already and that one is used as it is.
    private static func performRefresh(
        scopeId: String, known: String?, margin: TimeInterval, database: AppDatabase, box: SecretBox,
        http: any OAuthHTTP, events: EventBus?, now: Date, logger: Logger
    ) async -> Outcome {
        let tokenStore = OAuthTokenRepository(database, box: box)
        let providers = OAuthProviderRepository(database, box: box)
        let scopes = AuthScopeRepository(database, box: box)
        var subject: (scope: AuthScope, server: Downstream)?
        var started: String?
        do {
            let loaded = try await database.run {
                let scope = try scopes.get(scopeId)
                let server = try DownstreamRepository(database).get(scope.downstreamId)
                let tokens = try tokenStore.tokens(of: scopeId)
                let provider = try scope.oauthProviderId.map { try providers.get($0) }
                let secret = try provider.flatMap { try providers.clientSecret(of: $0.id) }
                return (scope, server, tokens, provider, secret)
            }
            let (scope, server, stored, provider, secret) = loaded
            subject = (scope, server)
            guard let stored else {
                throw OAuthError.invalid("\(server.name) is not signed in: run 'junction auth login \(server.name)'")
            }
            if let known, stored.accessToken != known,
                stored.expiresAt.map({ $0.timeIntervalSince(now) > margin }) ?? true
            {
                return .refreshed(stored)
            }
            started = stored.accessToken
            guard let refreshToken = stored.refreshToken, let provider else {
                throw OAuthError.invalid(
                    "the token of \(server.name) cannot be refreshed (no refresh token): "
                        + "run 'junction auth login \(server.name)'")
            }
            let answer = try await OAuthClient(http: http).refresh(
                refreshToken: refreshToken, resource: stored.resource, scopes: [], tokenURL: provider.tokenURL,
                credentials: .init(
                    clientId: provider.clientId, clientSecret: secret, method: provider.tokenAuthMethod.rawValue))
            let fresh = OAuthSignIn.tokens(
                from: answer, requested: stored.scopes, resource: stored.resource, previous: stored, now: now)
            try await database.run { try tokenStore.save(fresh, scopeId: scopeId) }
            logger.debug(
                "oauth: token refreshed", metadata: ["junction.downstream": "\(server.name)", "scope": "\(scope.name)"])
            events?.publish(
                EventType.oauthTokenRefreshed,
                EventPayload.OAuthChanged(
                    serverId: server.id, serverName: server.name, authScopeId: scope.id, authScopeName: scope.name,
                    expiresAt: fresh.expiresAt, scopes: fresh.scopes))
            return .refreshed(fresh)
        } catch {
            // A refresh token rotated by another process's refresh meanwhile fails here: the
            // database then holds that process's new token.
            if let started, let current = try? await database.run({ try tokenStore.tokens(of: scopeId) }),
                current.accessToken != started
            {
                return .refreshed(current)
            }
            let serverName = subject?.server.name ?? "the server"
            let needsSignIn = (error as? OAuthError)?.needsSignIn ?? false
            let reason =
                "refreshing the token of \(serverName) failed: \(error)"
                + (needsSignIn ? "; sign in again with 'junction auth login \(serverName)'" : "")
            logger.warning("oauth: \(reason)", metadata: ["scope": "\(scopeId)"])
            do {
                try await database.run { try tokenStore.recordFailure(reason, scopeId: scopeId) }
            } catch {
                logger.error("oauth: the failed refresh was not recorded: \(error)", metadata: ["scope": "\(scopeId)"])
            }
            if let subject {
                events?.publish(
                    EventType.oauthRefreshFailed,
                    EventPayload.OAuthChanged(
                        serverId: subject.server.id, serverName: subject.server.name, authScopeId: subject.scope.id,
                        authScopeName: subject.scope.name, reason: reason))
            }
            return .failed(reason)
        }
    }
}
