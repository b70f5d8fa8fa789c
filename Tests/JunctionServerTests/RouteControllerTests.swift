import Foundation
import HTTPTypes
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Admin API: route rules")
struct RouteControllerTests {
    /// Workspaces "app" and "web", servers "gh" (scope "gh-token") and "fs" (scope "fs-token").
    private struct Fixture {
        let harness: APIHarness
        let app: Workspace
        let web: Workspace
        let gh: Downstream
        let fs: Downstream
        let ghToken: AuthScope
        let fsToken: AuthScope

        init() throws {
            harness = try APIHarness()
            let workspaces = WorkspaceRepository(harness.database)
            app = try workspaces.create(Workspace(name: "app", rootPath: "/src/app"))
            web = try workspaces.create(Workspace(name: "web", rootPath: "/src/web"))
            let servers = DownstreamRepository(harness.database)
            gh = try servers.create(Downstream(name: "gh", command: "gh-mcp"))
            fs = try servers.create(Downstream(name: "fs", command: "fs-mcp"))
            let scopes = AuthScopeRepository(harness.database, box: try SecretBox.load(home: harness.home))
            ghToken = try scopes.create(name: "gh-token", server: gh.id, secrets: .init(env: ["TOKEN": "t"]))
            fsToken = try scopes.create(name: "fs-token", server: fs.id, secrets: .init(env: ["TOKEN": "u"]))
        }
    }

    @Test("create with names for references stores ids; get by id and name; update; delete")
    func lifecycle() async throws {
        let fixture = try Fixture()
        try await fixture.harness.test { client in
            let created = try await client.post(
                "/api/v1/routes",
                #"""
                {"name": "gh-approve", "workspace_id": "app", "server_id": "gh", "auth_scope_id": "gh-token",
                 "tool_pattern": "gh__*", "policy": "approve", "priority": 100, "path_glob": "src/**",
                 "approval_timeout_sec": 60, "cache_ttl_sec": 0}
                """#)
            #expect(created.status == .created, "\(created.body)")
            let json = try created.json()
            let id = try #require(json["id"] as? String)
            #expect(json["workspace_id"] as? String == fixture.app.id)
            #expect(json["server_id"] as? String == fixture.gh.id)
            #expect(json["auth_scope_id"] as? String == fixture.ghToken.id)
            #expect(json["policy"] as? String == "approve")
            #expect(json["priority"] as? Int == 100)
            #expect(json["path_glob"] as? String == "src/**")
            #expect(json["approval_timeout_sec"] as? Int == 60)
            #expect(json["cache_ttl_sec"] as? Int == 0)
            #expect(json["enabled"] as? Bool == true)

            for key in [id, "gh-approve"] {
                let shown = try await client.get("/api/v1/routes/\(key)")
                #expect(shown.status == .ok)
                #expect(try shown.json()["id"] as? String == id)
            }

            let updated = try await client.put(
                "/api/v1/routes/gh-approve", #"{"policy": "deny", "workspace_id": null, "approval_timeout_sec": null}"#)
            #expect(updated.status == .ok, "\(updated.body)")
            let after = try updated.json()
            #expect(after["policy"] as? String == "deny")
            #expect(after["workspace_id"] is NSNull, "null makes it global")
            #expect(after["approval_timeout_sec"] is NSNull)
            #expect(after["tool_pattern"] as? String == "gh__*", "absent fields keep their value")
            #expect(after["auth_scope_id"] as? String == fixture.ghToken.id)
            #expect(after["priority"] as? Int == 100)

            let unnamed = try await client.put("/api/v1/routes/\(id)", #"{"name": null, "enabled": false}"#)
            #expect(try unnamed.json()["name"] is NSNull)
            #expect(try unnamed.json()["enabled"] as? Bool == false)

            #expect(try await client.delete("/api/v1/routes/\(id)").status == .noContent)
            #expect(try await client.get("/api/v1/routes/\(id)").status == .notFound)
        }
    }

    @Test("defaults: global, every path, allow, priority 0, the namespace owner; a scope brings its server")
    func defaults() async throws {
        let fixture = try Fixture()
        try await fixture.harness.test { client in
            let plain = try await client.post("/api/v1/routes", #"{"tool_pattern": "fs__read"}"#).json()
            #expect(plain["workspace_id"] is NSNull)
            #expect(plain["path_glob"] as? String == "**")
            #expect(plain["policy"] as? String == "allow")
            #expect(plain["priority"] as? Int == 0)
            #expect(plain["server_id"] is NSNull)
            #expect(plain["name"] is NSNull)

            let scoped = try await client.post(
                "/api/v1/routes", #"{"tool_pattern": "fs__*", "auth_scope_id": "\#(fixture.fsToken.id)"}"#)
            #expect(try scoped.json()["server_id"] as? String == fixture.fs.id)
        }
    }

    @Test("lists come in resolver order, filtered by workspace (id or name) or global only")
    func listOrder() async throws {
        let fixture = try Fixture()
        try await fixture.harness.test { client in
            let bodies = [
                #"{"name": "g-low", "tool_pattern": "*"}"#,
                #"{"name": "web-1", "workspace_id": "web", "tool_pattern": "gh__*"}"#,
                #"{"name": "app-wild", "workspace_id": "app", "tool_pattern": "*"}"#,
                #"{"name": "app-exact", "workspace_id": "app", "tool_pattern": "gh__push"}"#,
                #"{"name": "app-high", "workspace_id": "app", "tool_pattern": "*", "priority": 5}"#,
                #"{"name": "g-high", "tool_pattern": "*", "priority": 9}"#,
            ]
            for body in bodies {
                #expect(try await client.post("/api/v1/routes", body).status == .created)
            }
            func names(_ query: String) async throws -> [String?] {
                try await client.get("/api/v1/routes\(query)").jsonArray().map { $0["name"] as? String }
            }
            #expect(try await names("") == ["app-high", "app-exact", "app-wild", "web-1", "g-high", "g-low"])
            #expect(try await names("?workspace_id=app") == ["app-high", "app-exact", "app-wild"])
            #expect(try await names("?workspace_id=\(fixture.web.id)") == ["web-1"])
            #expect(try await names("?global=true") == ["g-high", "g-low"])

            let unknown = try await client.get("/api/v1/routes?workspace_id=nope")
            try unknown.expectRefused(.badRequest, field: "workspace_id")
            #expect(try await client.get("/api/v1/routes?workspace_id=app&global=true").status == .badRequest)
        }
    }

    @Test(
        "invalid input is 400 naming the field, and nothing is created",
        arguments: [
            (#"{"policy": "allow"}"#, "tool_pattern"),
            (#"{"tool_pattern": "gh__[unclosed"}"#, "tool_pattern"),
            (#"{"tool_pattern": "*", "path_glob": "[oops"}"#, "path_glob"),
            (#"{"tool_pattern": "*", "policy": "perhaps"}"#, "policy"),
            (#"{"tool_pattern": "*", "name": "not ok"}"#, "name"),
            (#"{"tool_pattern": "*", "priority": "high"}"#, "priority"),
            (#"{"tool_pattern": "*", "priority": 1.5}"#, "priority"),
            (#"{"tool_pattern": "*", "priority": 1e300}"#, "priority"),
            (#"{"tool_pattern": "*", "approval_timeout_sec": 0}"#, "approval_timeout_sec"),
            (#"{"tool_pattern": "*", "cache_ttl_sec": -1}"#, "cache_ttl_sec"),
            (#"{"tool_pattern": "*", "workspace_id": "nope"}"#, "workspace_id"),
            (#"{"tool_pattern": "*", "server_id": "nope"}"#, "server_id"),
            (#"{"tool_pattern": "*", "auth_scope_id": "nope"}"#, "auth_scope_id"),
            (#"{"tool_pattern": "*", "server_id": "gh", "auth_scope_id": "fs-token"}"#, "auth_scope_id"),
            (#"{"tool_pattern": ["*"]}"#, "tool_pattern"),
        ])
    func invalidCreate(body: String, field: String) async throws {
        let fixture = try Fixture()
        try await fixture.harness.test { client in
            let reply = try await client.post("/api/v1/routes", body)
            try reply.expectRefused(.badRequest, field: field)
            #expect(try await client.get("/api/v1/routes").jsonArray().isEmpty)
        }
    }

    @Test(
        "an invalid update is 400 naming the field and changes nothing",
        arguments: [
            (#"{"tool_pattern": null}"#, "tool_pattern"),
            (#"{"policy": null}"#, "policy"),
            (#"{"tool_pattern": "["}"#, "tool_pattern"),
            (#"{"workspace_id": "nope"}"#, "workspace_id"),
            (#"{"auth_scope_id": "fs-token"}"#, "auth_scope_id"),
            (#"{"cache_ttl_sec": -5}"#, "cache_ttl_sec"),
            (#"{"cache_ttl_sec": 0.5}"#, "cache_ttl_sec"),
            (#"{"priority": null}"#, "priority"),
        ])
    func invalidUpdate(body: String, field: String) async throws {
        let fixture = try Fixture()
        try await fixture.harness.test { client in
            _ = try await client.post(
                "/api/v1/routes", #"{"name": "r", "tool_pattern": "gh__*", "server_id": "gh", "workspace_id": "app"}"#)
            let reply = try await client.put("/api/v1/routes/r", body)
            try reply.expectRefused(.badRequest, field: field)
            let stored = try await client.get("/api/v1/routes/r").json()
            #expect(stored["tool_pattern"] as? String == "gh__*")
            #expect(stored["workspace_id"] as? String == fixture.app.id)
            #expect(stored["auth_scope_id"] is NSNull)
        }
    }

    @Test("a taken name is 409; unknown ids are 404")
    func conflictsAndUnknown() async throws {
        let fixture = try Fixture()
        try await fixture.harness.test { client in
            _ = try await client.post("/api/v1/routes", #"{"name": "r", "tool_pattern": "*"}"#)
            _ = try await client.post("/api/v1/routes", #"{"name": "s", "tool_pattern": "*"}"#)
            let duplicate = try await client.post("/api/v1/routes", #"{"name": "r", "tool_pattern": "x"}"#)
            try duplicate.expectRefused(.conflict, field: "name")
            let renamed = try await client.put("/api/v1/routes/s", #"{"name": "r"}"#)
            #expect(renamed.status == .conflict)

            for reply in [
                try await client.get("/api/v1/routes/nope"),
                try await client.put("/api/v1/routes/nope", #"{"priority": 1}"#),
                try await client.delete("/api/v1/routes/nope"),
            ] {
                #expect(reply.status == .notFound)
            }
        }
    }

    @Test("bulk creates every rule in request order")
    func bulk() async throws {
        let fixture = try Fixture()
        try await fixture.harness.test { client in
            let reply = try await client.post(
                "/api/v1/routes/bulk",
                #"""
                {"rules": [
                  {"name": "one", "workspace_id": "app", "tool_pattern": "gh__*", "server_id": "gh", "policy": "allow"},
                  {"name": "two", "tool_pattern": "fs__*", "auth_scope_id": "fs-token", "policy": "approve"},
                  {"tool_pattern": "*", "policy": "deny", "priority": -1}
                ]}
                """#)
            #expect(reply.status == .created, "\(reply.body)")
            let rules = try reply.jsonArray()
            #expect(rules.map { $0["name"] as? String } == ["one", "two", nil])
            #expect(rules[0]["workspace_id"] as? String == fixture.app.id)
            #expect(rules[1]["server_id"] as? String == fixture.fs.id)
            #expect(try await client.get("/api/v1/routes").jsonArray().count == 3)
        }
    }

    @Test(
        "bulk is all or nothing: the rule at fault is named by its index",
        arguments: [
            (
                #"{"rules": [{"tool_pattern": "a__*"}, {"tool_pattern": "b__*"}, {"tool_pattern": "[x"}]}"#,
                "rules[2].tool_pattern", 400
            ),
            (#"{"rules": [{"tool_pattern": "a__*"}, {"policy": "deny"}]}"#, "rules[1].tool_pattern", 400),
            (
                #"{"rules": [{"tool_pattern": "a__*"}, {"tool_pattern": "b", "priority": "x"}]}"#, "rules[1].priority",
                400
            ),
            (#"{"rules": [{"tool_pattern": "a__*", "policy": "nah"}]}"#, "rules[0].policy", 400),
            (#"{"rules": [{"tool_pattern": "a", "workspace_id": "nope"}]}"#, "rules[0].workspace_id", 400),
            (
                #"{"rules": [{"tool_pattern": "a"}, {"tool_pattern": "b", "server_id": "gh", "auth_scope_id": "fs-token"}]}"#,
                "rules[1].auth_scope_id", 400
            ),
            (
                #"{"rules": [{"tool_pattern": "a", "name": "n"}, {"tool_pattern": "b", "name": "n"}]}"#,
                "rules[1].name", 409
            ),
            (#"{"rules": [{"tool_pattern": "a"}, {"tool_pattern": "b", "name": "existing"}]}"#, "rules[1].name", 409),
            (#"{"rules": []}"#, "rules", 400),
            (#"{"rules": {}}"#, "rules", 400),
            (#"{"rule": []}"#, "rules", 400),
        ])
    func bulkFailure(body: String, field: String, status: Int) async throws {
        let fixture = try Fixture()
        try RouteRuleRepository(fixture.harness.database).create(RouteRule(name: "existing", toolPattern: "z"))
        try await fixture.harness.test { client in
            let reply = try await client.post("/api/v1/routes/bulk", body)
            try reply.expectRefused(HTTPResponse.Status(code: status), field: field)
            let names = try await client.get("/api/v1/routes").jsonArray().map { $0["name"] as? String }
            #expect(names == ["existing"], "nothing was created")
        }
    }
}
