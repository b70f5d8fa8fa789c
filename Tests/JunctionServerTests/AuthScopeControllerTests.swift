import Foundation
import HTTPTypes
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Admin API: auth scopes")
struct AuthScopeControllerTests {
    static let secret = "ghp_s3cr3t-value-never-shown"

    /// A harness with servers "gh" and "fs".
    private func harness() throws -> APIHarness {
        let harness = try APIHarness()
        try DownstreamRepository(harness.database).create(Downstream(name: "gh", command: "gh-mcp"))
        try DownstreamRepository(harness.database).create(Downstream(name: "fs", command: "fs-mcp"))
        return harness
    }

    private func secrets(_ harness: APIHarness, _ scope: String) throws -> AuthScopeRepository.Secrets {
        try AuthScopeRepository(harness.database, box: SecretBox.load(home: harness.home)).secrets(of: scope)
    }

    @Test("create seals the secrets; every read says which keys are set and never a value")
    func writeOnlySecrets() async throws {
        let harness = try harness()
        try await harness.test { client in
            let created = try await client.post(
                "/api/v1/auth-scopes",
                #"""
                {"name": "gh-token", "server_id": "gh", "env_vars": {"GITHUB_TOKEN": "\#(Self.secret)"},
                 "headers": {"Authorization": "Bearer \#(Self.secret)"}, "redaction_hints": ["password"]}
                """#)
            #expect(created.status == .created, "\(created.body)")
            let json = try created.json()
            let id = try #require(json["id"] as? String)
            #expect(json["name"] as? String == "gh-token")
            #expect(json["kind"] as? String == "env")
            #expect(json["env_vars"] as? [String: String] == ["GITHUB_TOKEN": "set"])
            #expect(json["headers"] as? [String: String] == ["Authorization": "set"])
            #expect(json["redaction_hints"] as? [String] == ["password"])

            let reads = [
                created, try await client.get("/api/v1/auth-scopes"), try await client.get("/api/v1/auth-scopes/\(id)"),
                try await client.get("/api/v1/auth-scopes/gh-token"),
                try await client.get("/api/v1/auth-scopes?server_id=gh"),
            ]
            for reply in reads {
                #expect(reply.status == .ok || reply.status == .created)
                #expect(!reply.body.contains(Self.secret))
                #expect(reply.body.contains("GITHUB_TOKEN"))
            }
            #expect(try await client.get("/api/v1/auth-scopes?server_id=fs").jsonArray().isEmpty)
            let stored = try secrets(harness, id)
            #expect(stored.env == ["GITHUB_TOKEN": Self.secret])
            #expect(stored.headers == ["Authorization": "Bearer \(Self.secret)"])
        }
    }

    @Test("an update merges secrets: values set, null removes, 'set' keeps; other fields partial")
    func updateMerges() async throws {
        let harness = try harness()
        try await harness.test { client in
            _ = try await client.post(
                "/api/v1/auth-scopes",
                #"{"name": "tok", "server_id": "gh", "env_vars": {"A": "a1", "B": "b1", "SHARED": "e"}, "headers": {"SHARED": "h"}}"#
            )

            let updated = try await client.put(
                "/api/v1/auth-scopes/tok",
                #"{"env_vars": {"A": "a2", "B": null, "C": "c1", "SHARED": null}, "redaction_hints": ["pin"]}"#)
            #expect(updated.status == .ok, "\(updated.body)")
            let json = try updated.json()
            #expect(json["env_vars"] as? [String: String] == ["A": "set", "C": "set"])
            #expect(json["headers"] as? [String: String] == ["SHARED": "set"])
            #expect(json["redaction_hints"] as? [String] == ["pin"])
            #expect(json["name"] as? String == "tok")
            #expect(!updated.body.contains("a2"))
            var stored = try secrets(harness, "tok")
            #expect(stored.env == ["A": "a2", "C": "c1"])
            #expect(stored.headers == ["SHARED": "h"], "removing an env key keeps a header of the same name")

            // A client sending back what it read keeps the stored values.
            let roundTrip = try await client.put(
                "/api/v1/auth-scopes/tok", #"{"env_vars": {"A": "set", "C": "set"}, "headers": {"SHARED": "set"}}"#)
            #expect(roundTrip.status == .ok, "\(roundTrip.body)")
            stored = try secrets(harness, "tok")
            #expect(stored.env == ["A": "a2", "C": "c1"])
            #expect(stored.headers == ["SHARED": "h"])

            let renamed = try await client.put("/api/v1/auth-scopes/tok", #"{"name": "token", "server_id": "fs"}"#)
            #expect(renamed.status == .ok, "\(renamed.body)")
            #expect(try renamed.json()["name"] as? String == "token")
            #expect(try secrets(harness, "token").env == ["A": "a2", "C": "c1"], "secrets survive a rename")
        }
    }

    @Test(
        "invalid input is 400 naming the field, and never echoes a secret",
        arguments: [
            (#"{"server_id": "gh"}"#, "name"),
            (#"{"name": "t"}"#, "server_id"),
            (#"{"name": "t", "server_id": "nope"}"#, "server_id"),
            (#"{"name": "bad name", "server_id": "gh"}"#, "name"),
            (#"{"name": "t", "server_id": "gh", "env_vars": {"9X": "ghp_s3cr3t-value-never-shown"}}"#, "env_vars"),
            (#"{"name": "t", "server_id": "gh", "headers": {"a b": "ghp_s3cr3t-value-never-shown"}}"#, "headers"),
            (#"{"name": "t", "server_id": "gh", "env_vars": {"K": 5}}"#, "env_vars.K"),
            (#"{"name": "t", "server_id": "gh", "env_vars": "ghp_s3cr3t-value-never-shown"}"#, "env_vars"),
            (#"{"name": "t", "server_id": "gh", "env_vars": {"K": "set"}}"#, "env_vars.K"),
            (#"{"name": "t", "server_id": "gh", "kind": "oauth"}"#, "kind"),
            (#"{"name": "t", "server_id": "gh", "kind": "magic"}"#, "kind"),
            (#"{"name": "t", "server_id": "gh", "redaction_hints": "x"}"#, "redaction_hints"),
        ])
    func invalidCreate(body: String, field: String) async throws {
        let harness = try harness()
        try await harness.test { client in
            let reply = try await client.post("/api/v1/auth-scopes", body)
            try reply.expectRefused(.badRequest, field: field)
            #expect(!reply.body.contains(Self.secret))
            #expect(try await client.get("/api/v1/auth-scopes").jsonArray().isEmpty)
        }
    }

    @Test(
        "an invalid update is 400 naming the field and changes nothing",
        arguments: [
            (#"{"name": null}"#, "name"),
            (#"{"server_id": "nope"}"#, "server_id"),
            (#"{"env_vars": {"NEW": "set"}}"#, "env_vars.NEW"),
            (#"{"env_vars": {"bad key": "v"}}"#, "env_vars"),
            (#"{"headers": {"K": ["v"]}}"#, "headers.K"),
            (#"{"name": "ok", "env_vars": {"TOKEN": 1}}"#, "env_vars.TOKEN"),
        ])
    func invalidUpdate(body: String, field: String) async throws {
        let harness = try harness()
        try await harness.test { client in
            _ = try await client.post(
                "/api/v1/auth-scopes", #"{"name": "tok", "server_id": "gh", "env_vars": {"TOKEN": "v1"}}"#)
            let reply = try await client.put("/api/v1/auth-scopes/tok", body)
            try reply.expectRefused(.badRequest, field: field)
            #expect(try secrets(harness, "tok").env == ["TOKEN": "v1"])
        }
    }

    @Test("a taken name is 409; moving a scope that rules use is 409; unknown ids are 404")
    func conflicts() async throws {
        let harness = try harness()
        try await harness.test { client in
            _ = try await client.post("/api/v1/auth-scopes", #"{"name": "a", "server_id": "gh"}"#)
            _ = try await client.post("/api/v1/auth-scopes", #"{"name": "b", "server_id": "gh"}"#)
            let duplicate = try await client.post("/api/v1/auth-scopes", #"{"name": "a", "server_id": "fs"}"#)
            try duplicate.expectRefused(.conflict, field: "name")
            #expect(try await client.put("/api/v1/auth-scopes/b", #"{"name": "a"}"#).status == .conflict)

            _ = try await client.post(
                "/api/v1/routes", #"{"name": "r", "tool_pattern": "gh__*", "auth_scope_id": "a"}"#)
            let move = try await client.put("/api/v1/auth-scopes/a", #"{"server_id": "fs"}"#)
            try move.expectRefused(.conflict, field: "server_id")
            #expect((try move.json()["error"] as? String)?.contains("route 'r'") == true)

            for reply in [
                try await client.get("/api/v1/auth-scopes/nope"),
                try await client.put("/api/v1/auth-scopes/nope", #"{"redaction_hints": []}"#),
                try await client.delete("/api/v1/auth-scopes/nope"),
            ] {
                #expect(reply.status == .notFound)
            }
            #expect(try await client.get("/api/v1/auth-scopes?server_id=nope").status == .badRequest)
        }
    }

    @Test("deleting a scope that rules use is 409 until ?force=true, which deletes them too")
    func deleteInUse() async throws {
        let harness = try harness()
        try await harness.test { client in
            _ = try await client.post("/api/v1/auth-scopes", #"{"name": "tok", "server_id": "gh"}"#)
            _ = try await client.post(
                "/api/v1/routes", #"{"name": "uses-tok", "tool_pattern": "gh__*", "auth_scope_id": "tok"}"#)
            _ = try await client.post("/api/v1/routes", #"{"name": "other", "tool_pattern": "fs__*"}"#)

            let refused = try await client.delete("/api/v1/auth-scopes/tok")
            #expect(refused.status == .conflict)
            #expect((try refused.json()["error"] as? String)?.contains("uses-tok") == true)
            #expect(try await client.delete("/api/v1/auth-scopes/tok?force=true").status == .noContent)
            #expect(try await client.get("/api/v1/auth-scopes/tok").status == .notFound)
            let rules = try await client.get("/api/v1/routes").jsonArray()
            #expect(rules.map { $0["name"] as? String } == ["other"])
        }
    }
}
