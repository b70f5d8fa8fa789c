import Foundation
import HTTPTypes
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Admin API: workspaces")
struct WorkspaceControllerTests {
    @Test("create, list, get by id and by name, update, delete")
    func lifecycle() async throws {
        try await APIHarness().test { client in
            let created = try await client.post(
                "/api/v1/workspaces",
                #"{"name": "app", "root_path": "/src//app/", "default_policy": "approve", "tags": {"team": "web"}}"#)
            #expect(created.status == .created)
            let json = try created.json()
            let id = try #require(json["id"] as? String)
            #expect(json["name"] as? String == "app")
            #expect(json["root_path"] as? String == "/src/app")
            #expect(json["default_policy"] as? String == "approve")
            #expect(json["tags"] as? [String: String] == ["team": "web"])
            #expect(json["created_at"] as? String != nil)

            let list = try await client.get("/api/v1/workspaces")
            #expect(list.status == .ok)
            #expect(try list.jsonArray().map { $0["id"] as? String } == [id])

            for key in [id, "app"] {
                let shown = try await client.get("/api/v1/workspaces/\(key)")
                #expect(shown.status == .ok)
                #expect(try shown.json()["id"] as? String == id)
            }

            let updated = try await client.put("/api/v1/workspaces/app", #"{"default_policy": "deny"}"#)
            #expect(updated.status == .ok)
            let after = try updated.json()
            #expect(after["default_policy"] as? String == "deny")
            #expect(after["root_path"] as? String == "/src/app", "absent fields keep their value")
            #expect(after["tags"] as? [String: String] == ["team": "web"])

            let renamed = try await client.put(
                "/api/v1/workspaces/\(id)", #"{"name": "web", "root_path": "/src/web", "tags": {}}"#)
            #expect(renamed.status == .ok)
            #expect(try renamed.json()["name"] as? String == "web")
            #expect(try renamed.json()["tags"] as? [String: String] == [:])
            #expect(try await client.get("/api/v1/workspaces/app").status == .notFound)

            let deleted = try await client.delete("/api/v1/workspaces/web")
            #expect(deleted.status == .noContent)
            #expect(deleted.body.isEmpty)
            #expect(try await client.get("/api/v1/workspaces/\(id)").status == .notFound)
            #expect(try await client.get("/api/v1/workspaces").jsonArray().isEmpty)
        }
    }

    @Test("the default policy is allow and tags are empty when not given")
    func defaults() async throws {
        try await APIHarness().test { client in
            let created = try await client.post("/api/v1/workspaces", #"{"name": "a", "root_path": "/a"}"#)
            #expect(created.status == .created)
            #expect(try created.json()["default_policy"] as? String == "allow")
            #expect(try created.json()["tags"] as? [String: String] == [:])
        }
    }

    @Test("unknown ids are 404 on get, update and delete")
    func unknown() async throws {
        try await APIHarness().test { client in
            for reply in [
                try await client.get("/api/v1/workspaces/nope"),
                try await client.put("/api/v1/workspaces/nope", #"{"default_policy": "deny"}"#),
                try await client.delete("/api/v1/workspaces/nope"),
            ] {
                #expect(reply.status == .notFound)
                #expect(try reply.json()["code"] as? String == "not_found")
            }
        }
    }

    @Test("a taken name or root is 409 naming the field, on create and on update")
    func conflicts() async throws {
        try await APIHarness().test { client in
            _ = try await client.post("/api/v1/workspaces", #"{"name": "a", "root_path": "/a"}"#)
            _ = try await client.post("/api/v1/workspaces", #"{"name": "b", "root_path": "/b"}"#)
            let cases: [(APIClient.Reply, String)] = [
                (try await client.post("/api/v1/workspaces", #"{"name": "a", "root_path": "/c"}"#), "name"),
                (try await client.post("/api/v1/workspaces", #"{"name": "c", "root_path": "/a/"}"#), "root_path"),
                (try await client.put("/api/v1/workspaces/b", #"{"name": "a"}"#), "name"),
                (try await client.put("/api/v1/workspaces/b", #"{"root_path": "/a"}"#), "root_path"),
            ]
            for (reply, field) in cases {
                try reply.expectRefused(.conflict, field: field)
                #expect(try reply.json()["code"] as? String == "conflict")
            }
            #expect(try await client.get("/api/v1/workspaces").jsonArray().count == 2)
        }
    }

    @Test(
        "invalid input is 400 naming the field",
        arguments: [
            (#"{"root_path": "/a"}"#, "name"),
            (#"{"name": "a"}"#, "root_path"),
            (#"{"name": "has space", "root_path": "/a"}"#, "name"),
            (#"{"name": "a", "root_path": "relative/dir"}"#, "root_path"),
            (#"{"name": "a", "root_path": ""}"#, "root_path"),
            (#"{"name": "a", "root_path": "/a", "default_policy": "maybe"}"#, "default_policy"),
            (#"{"name": 5, "root_path": "/a"}"#, "name"),
            (#"{"name": "a", "root_path": "/a", "tags": ["x"]}"#, "tags"),
            (#"{"name": "a", "root_path": "/a", "tags": {"k": 1}}"#, "tags.k"),
            (#"{"name": "a", "root_path": "/a", "tags": {"": "v"}}"#, "tags"),
            (#"{"name": null, "root_path": "/a"}"#, "name"),
        ])
    func invalidCreate(body: String, field: String) async throws {
        try await APIHarness().test { client in
            let reply = try await client.post("/api/v1/workspaces", body)
            try reply.expectRefused(.badRequest, field: field)
            #expect(try reply.json()["code"] as? String == "invalid_request")
            #expect(try await client.get("/api/v1/workspaces").jsonArray().isEmpty)
        }
    }

    @Test(
        "an update with an invalid or null field is 400 and changes nothing",
        arguments: [
            (#"{"name": null}"#, "name"),
            (#"{"root_path": null}"#, "root_path"),
            (#"{"default_policy": "sometimes"}"#, "default_policy"),
            (#"{"root_path": "x"}"#, "root_path"),
            (#"{"tags": "x"}"#, "tags"),
            (#"{"name": "ok", "root_path": 3}"#, "root_path"),
        ])
    func invalidUpdate(body: String, field: String) async throws {
        try await APIHarness().test { client in
            _ = try await client.post("/api/v1/workspaces", #"{"name": "a", "root_path": "/a"}"#)
            let reply = try await client.put("/api/v1/workspaces/a", body)
            try reply.expectRefused(.badRequest, field: field)
            let stored = try await client.get("/api/v1/workspaces/a").json()
            #expect(stored["root_path"] as? String == "/a")
            #expect(stored["default_policy"] as? String == "allow")
        }
    }

    @Test("an empty update changes nothing but is accepted")
    func emptyUpdate() async throws {
        try await APIHarness().test { client in
            _ = try await client.post("/api/v1/workspaces", #"{"name": "a", "root_path": "/a", "tags": {"k": "v"}}"#)
            let reply = try await client.put("/api/v1/workspaces/a", #"{"unknown": true}"#)
            #expect(reply.status == .ok)
            #expect(try reply.json()["tags"] as? [String: String] == ["k": "v"])
        }
    }

    @Test("deleting a workspace deletes its route rules")
    func deleteCascades() async throws {
        let harness = try APIHarness()
        let workspace = try WorkspaceRepository(harness.database).create(Workspace(name: "a", rootPath: "/a"))
        try RouteRuleRepository(harness.database).create(RouteRule(workspaceId: workspace.id, toolPattern: "x__*"))
        try RouteRuleRepository(harness.database).create(RouteRule(toolPattern: "global__*"))
        try await harness.test { client in
            #expect(try await client.delete("/api/v1/workspaces/a").status == .noContent)
            let rules = try await client.get("/api/v1/routes").jsonArray()
            #expect(rules.map { $0["tool_pattern"] as? String } == ["global__*"])
        }
    }
}
