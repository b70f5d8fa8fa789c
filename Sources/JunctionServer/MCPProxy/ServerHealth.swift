import Foundation
import JunctionCore
import JunctionGateway

/// MCPProxy's unified health of a server: one `level` (healthy, degraded, unhealthy), the admin
/// state, a one-line summary, optional detail, and the one `action` that would help (login,
/// restart, enable, approve, view_logs, or none). Computed from what Junction really knows: the
/// stored definition, the pool's live status and, for servers signed in with OAuth, their tokens.
///
/// Admin states come first (a disabled or quarantined server is so by choice, whatever its
/// process does), then sign-in, then the process. Junction starts servers on demand, so a
/// stopped server that has not failed is healthy: it starts with the next call.
struct ServerHealth: Encodable, Sendable, Equatable {
    var level: String
    var adminState: String
    var summary: String
    var detail: String?
    var action: String

    enum CodingKeys: String, CodingKey {
        case level, summary, detail, action
        case adminState = "admin_state"
    }

    /// Everything the health follows from.
    struct Input: Sendable {
        var enabled: Bool
        var quarantined: Bool
        var status: DownstreamPool.Status
        var toolCount: Int
        /// The server's OAuth sign-in (``OAuthServerStatus/status``: connected, expired, pending,
        /// failed, not_connected); nil for a server without OAuth scopes.
        var oauth: String?
        /// The latest OAuth error, if any.
        var oauthError: String?
    }

    static func of(_ input: Input) -> ServerHealth {
        let status = input.status
        if input.quarantined {
            return ServerHealth(
                level: "degraded", adminState: "quarantined", summary: "Quarantined for review",
                detail: "its tools are hidden and calls to them refused until it is approved", action: "approve")
        }
        if !input.enabled {
            return ServerHealth(
                level: "unhealthy", adminState: "disabled", summary: "Disabled", detail: nil, action: "enable")
        }
        let running = status.state == "running"
        let needsSignIn = status.lastError.map(Self.asksForSignIn) ?? false
        switch input.oauth {
        case "expired" where !running:
            return unhealthy("Token expired", detail: "OAuth access token has expired", action: "login")
        case "not_connected" where !running, "failed" where !running:
            return unhealthy(
                "Sign-in required", detail: input.oauthError ?? "no OAuth token is stored for this server",
                action: "login")
        default:
            break
        }
        if needsSignIn && !running {
            return unhealthy("Sign-in required", detail: status.lastError, action: "login")
        }
        switch status.state {
        case "running":
            return ServerHealth(
                level: "healthy", adminState: "enabled", summary: "Connected (\(tools(input.toolCount)))", detail: nil,
                action: "")
        case "starting":
            return ServerHealth(level: "degraded", adminState: "enabled", summary: "Starting", detail: nil, action: "")
        case "crash_loop":
            return unhealthy(
                "Crash loop (\(status.crashes) failures)", detail: status.lastError, action: "restart")
        case "backoff":
            let next = status.restartInSeconds.map { "; next attempt in \(Int($0.rounded(.up))) s" } ?? ""
            return unhealthy("Failed\(next)", detail: status.lastError, action: "view_logs")
        default:
            if let lastError = status.lastError {
                return unhealthy("Failed to start", detail: lastError, action: "view_logs")
            }
            return ServerHealth(
                level: "healthy", adminState: "enabled",
                summary: "Idle (\(tools(input.toolCount))); starts on the next call", detail: nil, action: "")
        }
    }

    private static func unhealthy(_ summary: String, detail: String?, action: String) -> ServerHealth {
        ServerHealth(level: "unhealthy", adminState: "enabled", summary: summary, detail: detail, action: action)
    }

    private static func tools(_ count: Int) -> String {
        count == 1 ? "1 tool" : "\(count) tools"
    }

    /// Whether a start failure is a remote server asking for a sign-in (``DownstreamError``'s
    /// `authorizationRequired` message).
    static func asksForSignIn(_ error: String) -> Bool {
        error.contains("needs you to sign in")
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(level, forKey: .level)
        try container.encode(adminState, forKey: .adminState)
        try container.encode(summary, forKey: .summary)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encode(action, forKey: .action)
    }
}
