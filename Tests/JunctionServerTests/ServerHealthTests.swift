import Foundation
import JunctionGateway
import Testing

@testable import JunctionServer

/// MCPProxy's unified health of a server, from its definition, the pool's status and its OAuth
/// sign-in.
@Suite("ServerHealth")
struct ServerHealthTests {
    /// A pool status as the pool reports it (its JSON shape; the pool builds the real ones).
    static func status(
        _ state: String, crashes: Int = 0, lastError: String? = nil, restartIn: Double? = nil
    ) throws -> DownstreamPool.Status {
        var object: [String: Any] = [
            "server_id": "ds-1", "state": state, "instances": 0, "crashes": crashes,
            "health": ["state": "unknown", "consecutive_failures": 0, "error_count": 0],
        ]
        if let lastError { object["last_error"] = lastError }
        if let restartIn { object["restart_in_sec"] = restartIn }
        return try JSONDecoder().decode(
            DownstreamPool.Status.self, from: JSONSerialization.data(withJSONObject: object))
    }

    static func health(
        enabled: Bool = true, quarantined: Bool = false, _ status: DownstreamPool.Status, tools: Int = 3,
        oauth: String? = nil
    ) -> ServerHealth {
        ServerHealth.of(
            ServerHealth.Input(
                enabled: enabled, quarantined: quarantined, status: status, toolCount: tools, oauth: oauth,
                oauthError: nil))
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var health: ServerHealth
        var level: String
        var adminState: String
        var summary: String
        var action: String

        var testDescription: String { name }
    }

    static func cases() throws -> [Case] {
        let unavailable = "server 'gh' is unavailable: exited with status 1"
        let signIn = "server 'gh' needs you to sign in: run `junction auth login gh` (401)"
        return [
            Case(
                name: "running", health: health(try status("running")), level: "healthy", adminState: "enabled",
                summary: "Connected (3 tools)", action: ""),
            Case(
                name: "stopped, never failed: starts on demand", health: health(try status("stopped"), tools: 1),
                level: "healthy", adminState: "enabled", summary: "Idle (1 tool); starts on the next call", action: ""),
            Case(
                name: "starting", health: health(try status("starting")), level: "degraded", adminState: "enabled",
                summary: "Starting", action: ""),
            Case(
                name: "failed to start", health: health(try status("stopped", crashes: 1, lastError: unavailable)),
                level: "unhealthy", adminState: "enabled", summary: "Failed to start", action: "view_logs"),
            Case(
                name: "backoff",
                health: health(try status("backoff", crashes: 2, lastError: unavailable, restartIn: 1.2)),
                level: "unhealthy", adminState: "enabled", summary: "Failed; next attempt in 2 s",
                action: "view_logs"),
            Case(
                name: "crash loop", health: health(try status("crash_loop", crashes: 5, lastError: unavailable)),
                level: "unhealthy", adminState: "enabled", summary: "Crash loop (5 failures)", action: "restart"),
            Case(
                name: "a remote server asks for a sign-in",
                health: health(try status("stopped", crashes: 1, lastError: signIn)), level: "unhealthy",
                adminState: "enabled", summary: "Sign-in required", action: "login"),
            Case(
                name: "expired OAuth token", health: health(try status("stopped"), oauth: "expired"),
                level: "unhealthy", adminState: "enabled", summary: "Token expired", action: "login"),
            Case(
                name: "never signed in", health: health(try status("stopped"), oauth: "not_connected"),
                level: "unhealthy", adminState: "enabled", summary: "Sign-in required", action: "login"),
            Case(
                name: "signed in and running", health: health(try status("running"), oauth: "connected"),
                level: "healthy", adminState: "enabled", summary: "Connected (3 tools)", action: ""),
            Case(
                name: "disabled, whatever its process", health: health(enabled: false, try status("crash_loop")),
                level: "unhealthy", adminState: "disabled", summary: "Disabled", action: "enable"),
            Case(
                name: "quarantined comes first",
                health: health(enabled: false, quarantined: true, try status("running"), oauth: "expired"),
                level: "degraded", adminState: "quarantined", summary: "Quarantined for review", action: "approve"),
        ]
    }

    @Test("level, admin state, summary and action follow the server's real state", arguments: try cases())
    func levels(_ testCase: Case) {
        #expect(testCase.health.level == testCase.level)
        #expect(testCase.health.adminState == testCase.adminState)
        #expect(testCase.health.summary == testCase.summary)
        #expect(testCase.health.action == testCase.action)
    }

    @Test("a failure's detail is its last error; the key is left out when there is none")
    func detail() throws {
        let failed = Self.health(try Self.status("stopped", crashes: 1, lastError: "boom"))
        #expect(failed.detail == "boom")
        let encoded =
            try JSONSerialization.jsonObject(
                with: JSONEncoder().encode(Self.health(try Self.status("running")))) as? [String: Any]
        #expect(encoded?.keys.sorted() == ["action", "admin_state", "level", "summary"])
    }
}
