import Foundation
import HTTPTypes
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

/// What every configuration endpoint does with bodies it cannot use: the right 4xx with a JSON
/// error, never a 5xx, and nothing written.
@Suite("Admin API: bodies the configuration endpoints refuse")
struct ConfigInputTests {
    /// Every endpoint that reads a body; `{id}` endpoints address rows `seed` creates.
    static let endpoints: [(HTTPRequest.Method, String)] = [
        (.post, "/api/v1/workspaces"), (.put, "/api/v1/workspaces/ws"),
        (.post, "/api/v1/downstreams"), (.put, "/api/v1/downstreams/srv"),
        (.post, "/api/v1/routes"), (.post, "/api/v1/routes/bulk"), (.put, "/api/v1/routes/rule"),
        (.post, "/api/v1/auth-scopes"), (.put, "/api/v1/auth-scopes/scope"),
    ]

    /// One row of each kind, so the `{id}` endpoints exist.
    private static func seed(_ harness: APIHarness) throws {
        try WorkspaceRepository(harness.database).create(Workspace(name: "ws", rootPath: "/ws"))
        let server = try DownstreamRepository(harness.database).create(Downstream(name: "srv", command: "true"))
        try RouteRuleRepository(harness.database).create(RouteRule(name: "rule", toolPattern: "srv__*"))
        try AuthScopeRepository(harness.database, box: SecretBox.load(home: harness.home)).create(
            name: "scope", server: server.id, secrets: .init(env: ["TOKEN": "secret-value"]))
    }

    private static func counts(_ harness: APIHarness) throws -> [Int] {
        [
            try WorkspaceRepository(harness.database).list().count,
            try DownstreamRepository(harness.database).list().count,
            try RouteRuleRepository(harness.database).list().count,
            try AuthScopeRepository(harness.database, box: nil).list().count,
        ]
    }

    @Test("a body that is not declared JSON is 415", arguments: endpoints)
    func notJSON(method: HTTPRequest.Method, path: String) async throws {
        let harness = try APIHarness()
        try Self.seed(harness)
        try await harness.test { client in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain"
            let reply = try await client.request(method, path, json: #"{"name": "x"}"#, headers: headers)
            #expect(reply.status == .unsupportedMediaType)
            #expect(try reply.json()["code"] as? String == "unsupported_media_type")
        }
        #expect(try Self.counts(harness) == [1, 1, 1, 1])
    }

    @Test("malformed JSON, an empty body and a body that is not an object are 400", arguments: endpoints)
    func malformed(method: HTTPRequest.Method, path: String) async throws {
        let harness = try APIHarness()
        try Self.seed(harness)
        try await harness.test { client in
            for body in ["{", #"{"name": "x""#, "", "[]", "null", #""text""#, "42", "{\"name\": \u{1}}"] {
                let reply = try await client.request(method, path, json: body)
                #expect(reply.status == .badRequest, "\(method) \(path) with \(body): \(reply.body)")
                #expect(try reply.json()["error"] as? String != nil)
            }
        }
        #expect(try Self.counts(harness) == [1, 1, 1, 1])
    }

    @Test("odd values anywhere never produce a 5xx", arguments: endpoints)
    func neverServerError(method: HTTPRequest.Method, path: String) async throws {
        let harness = try APIHarness()
        try Self.seed(harness)
        let odd: [Any] = [
            NSNull(), true, -1, 1e300, 9_223_372_036_854_775_807, 1.5, "", "/", "../..", "\u{0}", "\u{0}x",
            ["k": "\u{0}"], ["\u{0}"],
            String(repeating: "x", count: 5000),
            [Any](), [String: Any](), ["k": NSNull()], ["a", 1],
        ]
        let fields = [
            "name", "root_path", "default_policy", "tags", "command", "args", "env", "url", "headers", "cwd",
            "namespace", "transport", "instance_mode", "idle_timeout_sec", "call_timeout_sec", "enabled", "rules",
            "tool_pattern", "path_glob", "workspace_id", "server_id", "auth_scope_id", "policy", "priority",
            "approval_timeout_sec", "cache_ttl_sec", "env_vars", "redaction_hints", "kind",
        ]
        let bodies = fields.flatMap { field in odd.map { JSON.text([field: $0]) } }
        try await harness.test { client in
            for body in bodies {
                let reply = try await client.request(method, path, json: body)
                #expect(reply.status.code < 500, "\(method) \(path) with \(body): \(reply.body)")
            }
        }
    }
}
