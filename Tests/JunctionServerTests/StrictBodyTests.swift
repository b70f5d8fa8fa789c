import Foundation
import HTTPTypes
import Testing

@testable import JunctionServer

@Suite("Admin API: JSON bodies are read strictly")
struct StrictBodyTests {
    static let refused: [(body: String, field: String?, says: String)] = [
        ("\u{FEFF}{\"log_level\": \"debug\"}", nil, "byte order mark"),
        (#"{"log_level": "debug",}"#, nil, "trailing comma"),
        (#"{"log_level": "debug", "log_level": "error"}"#, "log_level", "duplicate key 'log_level'"),
        (#"{"log_level": "debug", "log_\u006cevel": "error"}"#, "log_level", "duplicate key"),
    ]

    @Test("a BOM, a trailing comma or a repeated key is 400 with error, code and field", arguments: refused)
    func refusedBodies(body: String, field: String?, says: String) async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let reply = try await client.put("/api/v1/settings", body)
            #expect(reply.status == .badRequest)
            let json = try reply.json()
            #expect(json["code"] as? String == "invalid_request")
            #expect((json["error"] as? String)?.contains(says) == true, "\(json)")
            #expect(json["field"] as? String == field)
            // Nothing was stored: the lenient decoder would have kept the last of two keys.
            let settings = try await client.get("/api/v1/settings").json()
            #expect((settings["settings"] as? [String: Any])?["log_level"] as? String == "info")
        }
    }

    @Test("a trailing comma inside a member names it")
    func nestedTrailingComma() async throws {
        try await APIHarness().test { client in
            let reply = try await client.post("/api/v1/workspaces", #"{"name": "a", "root_path": "/tmp", "x": [1,]}"#)
            #expect(reply.status == .badRequest)
            #expect(try reply.json()["field"] as? String == "x")
        }
    }

    @Test("strict JSON still decodes as before")
    func strictBodyPasses() async throws {
        try await APIHarness().test { client in
            let reply = try await client.put("/api/v1/settings", #" {"log_level": "debug"} "#)
            #expect(reply.status == .ok)
        }
    }
}
