import Foundation
import JunctionCore
import JunctionStore

/// Where a server's sign-in stands: per OAuth auth scope, whether a token is stored, valid,
/// refreshable or expired, until when, with which scopes. Never a token.
public struct OAuthServerStatus: Encodable, Sendable {
    public struct Scope: Encodable, Sendable {
        public var authScopeId: String
        public var authScopeName: String
        public var provider: String?
        public var registration: OAuthProvider.Registration?
        /// `valid`, `refreshable`, `expired` or `signed_out`.
        public var state: String
        public var expiresAt: Date?
        public var issuedAt: Date?
        public var scopes: [String]
        public var refreshable: Bool
        public var lastError: String?

        enum CodingKeys: String, CodingKey {
            case provider, registration, state, scopes, refreshable
            case authScopeId = "auth_scope_id"
            case authScopeName = "auth_scope_name"
            case expiresAt = "expires_at"
            case issuedAt = "issued_at"
            case lastError = "last_error"
        }
    }

    public var serverId: String
    public var serverName: String
    public var url: String?
    /// `connected` (a valid or refreshable token), `expired`, `pending` (a sign-in waits for its
    /// callback), `failed` (the latest sign-in failed) or `not_connected`.
    public var status: String
    /// How the latest sign-in started by this process ended: `pending`, `connected` or `failed`.
    public var signIn: String?
    /// The latest sign-in's `state` while it is pending.
    public var state: String?
    public var error: String?
    public var scopes: [Scope]

    enum CodingKeys: String, CodingKey {
        case url, status, state, error, scopes
        case signIn = "sign_in"
        case serverId = "server_id"
        case serverName = "server_name"
    }
}

extension OAuthService {
    /// The sign-in status of one server.
    public func status(server: String, now: Date = Date()) async throws -> OAuthServerStatus {
        let (database, box) = (database, box)
        let (downstream, rows) = try await database.run {
            let downstream = try DownstreamRepository(database).get(server)
            let providers = OAuthProviderRepository(database, box: nil)
            let tokens = OAuthTokenRepository(database, box: nil)
            let rows = try AuthScopeRepository(database, box: box).oauthScopes(downstreamId: downstream.id).map {
                scope in
                (scope, try scope.oauthProviderId.flatMap { try providers.find($0) }, try tokens.info(of: scope.id))
            }
            return (downstream, rows)
        }
        let scopes = rows.map { scope, provider, token in
            OAuthServerStatus.Scope(
                authScopeId: scope.id, authScopeName: scope.name, provider: provider?.name,
                registration: provider?.registration, state: token?.state(at: now) ?? "signed_out",
                expiresAt: token?.expiresAt, issuedAt: token?.issuedAt, scopes: token?.scopes ?? [],
                refreshable: token?.hasRefreshToken ?? false, lastError: token?.lastError)
        }
        var status = "not_connected"
        var state: String?
        var error: String?
        var signIn: String?
        if scopes.contains(where: { $0.state == "valid" || $0.state == "refreshable" }) {
            status = "connected"
        } else if scopes.contains(where: { $0.state == "expired" }) {
            status = "expired"
        }
        switch outcome(serverId: downstream.id) {
        case .pending(let pending)?:
            status = "pending"
            state = pending
            signIn = "pending"
        case .failed(let reason)?:
            if status != "connected" { status = "failed" }
            error = reason
            signIn = "failed"
        case .connected?:
            signIn = "connected"
        case nil:
            break
        }
        if error == nil { error = scopes.compactMap(\.lastError).first }
        return OAuthServerStatus(
            serverId: downstream.id, serverName: downstream.name, url: downstream.url, status: status, signIn: signIn,
            state: state,
            error: error, scopes: scopes)
    }
}
