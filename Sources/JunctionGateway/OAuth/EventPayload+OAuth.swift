import Foundation

extension EventPayload {
    /// `oauth.*`: an auth scope's sign-in changed. Never holds a token.
    public struct OAuthChanged: Codable, Sendable, Hashable {
        public var serverId: String
        public var serverName: String
        public var authScopeId: String
        public var authScopeName: String
        public var expiresAt: Date?
        public var scopes: [String]?
        /// Why refreshing failed, in words, with what to do.
        public var reason: String?

        public init(
            serverId: String, serverName: String, authScopeId: String, authScopeName: String, expiresAt: Date? = nil,
            scopes: [String]? = nil, reason: String? = nil
        ) {
            self.serverId = serverId
            self.serverName = serverName
            self.authScopeId = authScopeId
            self.authScopeName = authScopeName
            self.expiresAt = expiresAt
            self.scopes = scopes
            self.reason = reason
        }

        enum CodingKeys: String, CodingKey {
            case scopes, reason
            case serverId = "server_id"
            case serverName = "server_name"
            case authScopeId = "auth_scope_id"
            case authScopeName = "auth_scope_name"
            case expiresAt = "expires_at"
        }
    }
}
