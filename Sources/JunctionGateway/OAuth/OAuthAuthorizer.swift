import Foundation
import JunctionCore
import JunctionStore
import Synchronization

/// The credential of a URL server under OAuth, for the HTTP transport: the auth scope's access
/// token, refreshed before expiry and once on a 401. Without an explicit scope it uses the
/// server's OAuth scope (`SERVER-oauth`, else its first), looked up at the first request and again
/// on a 401 (a sign-in since takes effect without restarting the server); a server without one
/// costs no database read per request.
public final class OAuthAuthorizer: HTTPAuthorizer {
    public let server: Downstream
    public let explicitScopeId: String?
    private let manager: OAuthTokenManager
    /// The scope found: nil until looked up, `.some(nil)` when the server has none.
    private let resolved = Mutex<String??>(nil)

    public init(server: Downstream, scopeId: String?, manager: OAuthTokenManager) {
        self.server = server
        self.explicitScopeId = scopeId
        self.manager = manager
    }

    public func authorization() async throws -> String? {
        guard let scopeId = try await scopeId() else { return nil }
        return try await manager.authorization(scopeId: scopeId)
    }

    public func renew(challenge: String?, sent: String?) async -> String? {
        // A server asking for more scope than the token has needs the user, not a refresh.
        if let challenge, WWWAuthenticate(parsing: challenge).error == "insufficient_scope" { return nil }
        if explicitScopeId == nil { resolved.withLock { $0 = nil } }
        guard let scopeId = try? await scopeId() else { return nil }
        return await manager.renew(scopeId: scopeId, sent: sent)
    }

    private func scopeId() async throws -> String? {
        if let explicitScopeId { return explicitScopeId }
        if let known = resolved.withLock({ $0 }) { return known }
        let (database, box, server) = (manager.database, manager.box, server)
        let found = try await database.run {
            let scopes = try AuthScopeRepository(database, box: box).oauthScopes(downstreamId: server.id)
            let preferred = AuthScopeRepository.defaultOAuthScopeName(server: server.name)
            return (scopes.first { $0.name == preferred } ?? scopes.first)?.id
        }
        resolved.withLock { $0 = found }
        return found
    }
}
