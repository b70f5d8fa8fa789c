import Foundation
import HTTPTypes
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Admin API: configuration as a document")
struct ConfigControllerTests {
    @Test("export, validate and apply round trip; an invalid document is refused and changes nothing")
    func roundTrip() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            #expect(
                try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "fake")).status == .created
            )
            let exported = try await client.get("/api/v1/config").json()
            #expect(exported["success"] as? Bool == true)
            let data = try #require(exported["data"] as? [String: Any])
            var document = try #require(data["config"] as? [String: Any])
            #expect((document["servers"] as? [[String: Any]])?.first?["name"] as? String == "fake")

            document["workspaces"] = [["name": "web", "root_path": "/projects/web", "default_policy": "deny"]]
            let validated = try await client.post("/api/v1/config/validate", JSON.text(document)).json()
            let validation = try #require(validated["data"] as? [String: Any])
            #expect(validation["valid"] as? Bool == true)
            #expect(validation["diff"] as? String == "+ workspace web\n")

            let dry = try await client.post("/api/v1/config/apply?dry_run=true", JSON.text(document)).json()
            #expect((dry["data"] as? [String: Any])?["applied"] as? Bool == false)
            #expect(try await client.get("/api/v1/workspaces/web").status == .notFound)

            let applied = try await client.post("/api/v1/config/apply", JSON.text(document))
            #expect(applied.status == .ok, "\(applied.body)")
            #expect(try await client.get("/api/v1/workspaces/web").status == .ok)

            var yaml = try await client.get("/api/v1/config?format=yaml")
            #expect(yaml.headers[.contentType]?.hasPrefix("application/yaml") == true)
            #expect(yaml.body.contains("name: web"))
            yaml = try await client.request(
                .post, "/api/v1/config/validate", json: yaml.body, headers: [.contentType: "application/yaml"])
            #expect((try yaml.json()["data"] as? [String: Any])?["diff"] as? String == "")

            document["routes"] = [["tool_pattern": "fake__*", "workspace": "nowhere"]]
            document["workspaces"] = []
            let invalid = try await client.post("/api/v1/config/validate", JSON.text(document)).json()
            let problems = try #require((invalid["data"] as? [String: Any])?["errors"] as? [[String: Any]])
            #expect((problems.first?["message"] as? String)?.contains("workspace 'nowhere'") == true)
            let refused = try await client.post("/api/v1/config/apply", JSON.text(document))
            #expect(refused.status == .badRequest, "\(refused.body)")
            #expect(try await client.get("/api/v1/workspaces/web").status == .ok)

            let garbage = try await client.request(
                .post, "/api/v1/config/apply", json: "servers: [unclosed", headers: [.contentType: "application/yaml"])
            #expect(garbage.status == .badRequest, "\(garbage.body)")
            #expect(try await client.get("/api/v1/config?format=xml").status == .badRequest)
        }
    }

    @Test("doctor answers its findings in the envelope")
    func doctor() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let reply = try await client.get("/api/v1/doctor")
            #expect(reply.status == .ok, "\(reply.body)")
            let data = try #require(try reply.json()["data"] as? [String: Any])
            let findings = try #require(data["findings"] as? [[String: Any]])
            #expect(findings.contains { $0["check"] as? String == "daemon" && $0["status"] as? String == "ok" })
            #expect(findings.contains { $0["check"] as? String == "database" })
        }
    }
}
