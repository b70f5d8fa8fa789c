import Foundation
import Testing

@testable import JunctionServer

@Suite("Admin API: client install")
struct InstallControllerTests {
    @Test("status lists every client; install, preview and uninstall edit only Junction's entry")
    func installFlow() async throws {
        let harness = try APIHarness()
        let cursorDirectory = harness.directory.file("user/.cursor")
        try FileManager.default.createDirectory(atPath: cursorDirectory, withIntermediateDirectories: true)
        let config = cursorDirectory + "/mcp.json"
        let original = """
            {
              // mine
              "mcpServers": { "other": { "command": "other-server" } }
            }

            """
        try original.write(toFile: config, atomically: true, encoding: .utf8)
        try await harness.test { client in
            let statuses = try await client.get("/api/v1/mcp-install/status").jsonArray()
            #expect(statuses.count == 9)
            let cursor = try #require(statuses.first { $0["id"] as? String == "cursor" })
            #expect(cursor["detected"] as? Bool == true)
            #expect(cursor["installed"] as? Bool == false)

            let preview = try await client.get("/api/v1/mcp-install/cursor/preview").json()
            #expect((preview["diff"] as? String)?.contains("+") == true)
            #expect(try String(contentsOfFile: config, encoding: .utf8) == original, "a preview writes nothing")

            let installed = try await client.request(.post, "/api/v1/mcp-install/cursor/install")
            #expect(installed.status == .ok)
            let text = try String(contentsOfFile: config, encoding: .utf8)
            #expect(text.contains("// mine") && text.contains("other-server") && text.contains("\"junction\""))

            let again = try await client.request(.post, "/api/v1/mcp-install/cursor/install").json()
            #expect(again["action"] as? String == "unchanged")

            let removed = try await client.request(.post, "/api/v1/mcp-install/cursor/uninstall")
            #expect(removed.status == .ok)
            #expect(try String(contentsOfFile: config, encoding: .utf8) == original)
        }
    }

    @Test("unknown clients are 404, undetected ones 409 unless forced, broken files 409 untouched")
    func refusals() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            #expect(try await client.request(.post, "/api/v1/mcp-install/notepad/install").status == .notFound)
            let undetected = try await client.request(.post, "/api/v1/mcp-install/windsurf/install")
            #expect(undetected.status == .conflict)
            #expect(try undetected.json()["code"] as? String == "not_detected")
            let forced = try await client.post("/api/v1/mcp-install/windsurf/install", #"{"force": true}"#)
            #expect(forced.status == .ok)
            let unknownWorkspace = try await client.post(
                "/api/v1/mcp-install/windsurf/install", #"{"workspace": "nope", "force": true}"#)
            #expect(unknownWorkspace.status == .badRequest)
            #expect(try unknownWorkspace.json()["field"] as? String == "workspace")

            let geminiDirectory = harness.directory.file("user/.gemini")
            try FileManager.default.createDirectory(atPath: geminiDirectory, withIntermediateDirectories: true)
            let broken = "{ \"mcpServers\": { oops"
            try broken.write(toFile: geminiDirectory + "/settings.json", atomically: true, encoding: .utf8)
            let refused = try await client.request(.post, "/api/v1/mcp-install/gemini/install")
            #expect(refused.status == .conflict)
            #expect(try refused.json()["code"] as? String == "config_invalid")
            #expect(try String(contentsOfFile: geminiDirectory + "/settings.json", encoding: .utf8) == broken)
        }
    }

    @Test("project must be an absolute path to an existing folder; nothing is created")
    func projectValidation() async throws {
        let harness = try APIHarness()
        let existing = harness.directory.file("projects/app")
        try FileManager.default.createDirectory(atPath: existing, withIntermediateDirectories: true)
        let aFile = harness.directory.file("projects/file.txt")
        try "x".write(toFile: aFile, atomically: true, encoding: .utf8)
        let missing = harness.directory.file("projects/missing/deeper")
        try await harness.test { client in
            let cases: [(String, String)] = [
                ("relative/dir", "absolute path"),
                (missing, "does not exist"),
                (aFile, "not a folder"),
                (existing + "\\u0000/x", "NUL"),
            ]
            for (project, says) in cases {
                let json = #"{"project": "\#(project)", "force": true}"#
                for action in ["install", "uninstall"] {
                    let reply = try await client.post("/api/v1/mcp-install/cursor/\(action)", json)
                    #expect(reply.status == .badRequest, "\(action) \(project)")
                    let body = try reply.json()
                    #expect(body["field"] as? String == "project")
                    #expect((body["error"] as? String)?.contains(says) == true, "\(body)")
                }
            }
            let query = "project=relative"
            #expect(try await client.get("/api/v1/mcp-install/cursor/preview?\(query)").status == .badRequest)
            #expect(try await client.get("/api/v1/mcp-install/status?\(query)").status == .badRequest)
            #expect(!FileManager.default.fileExists(atPath: harness.directory.file("projects/missing")))

            let installed = try await client.post("/api/v1/mcp-install/cursor/install", #"{"project": "\#(existing)"}"#)
            #expect(installed.status == .ok)
            #expect(FileManager.default.fileExists(atPath: existing + "/.cursor/mcp.json"))
        }
    }
}
