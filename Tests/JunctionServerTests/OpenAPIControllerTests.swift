import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import JunctionServer

@Suite("Admin API: the OpenAPI document")
struct OpenAPIControllerTests {
    @Test("the document is served as YAML without a key, at both of its paths")
    func served() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            for path in ["/api/v1/openapi.yaml", "/swagger/swagger.yaml"] {
                let reply = try await client.get(path, key: nil)
                #expect(reply.status == .ok, "\(path)")
                #expect(reply.headers[.contentType]?.hasPrefix("application/yaml") == true, "\(path)")
                #expect(reply.body == EmbeddedOpenAPI.yaml, "\(path)")
            }
        }
    }

    @Test("every API route the router serves is documented, and every documented operation is served")
    func coversTheRouter() throws {
        let harness = try APIHarness()
        // The web UI's static files are pages, not API. The seed surfaces (Open MCP Gateway, MCP
        // Proxy Engine) are API.
        let apiPrefixes = [
            "/api/", "/events", "/metrics", "/swagger/", "/mcp", "/rpc", "/health", "/stats", "/servers", "/admin/",
            "/tools/", "/ws/",
        ]
        let served = Set(
            buildRouter(harness.environment).routes.map { route in
                "\(route.method.rawValue) \(Self.openAPIPath(route.path.description))"
            }
            .filter { operation in apiPrefixes.contains { operation.split(separator: " ")[1].hasPrefix($0) } })
        let documented = Self.documentedOperations(EmbeddedOpenAPI.yaml)
        #expect(!documented.isEmpty)
        #expect(served.subtracting(documented).sorted() == [], "served but not documented")
        #expect(documented.subtracting(served).sorted() == [], "documented but not served")
    }

    /// `/a/:id/b` or `/a/{id}/b` as OpenAPI writes it: `/a/{id}/b`.
    static func openAPIPath(_ path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }
        let joined = segments.joined(separator: "/")
        return joined.hasPrefix("/") ? joined : "/" + joined
    }

    /// `METHOD /path` of every operation under `paths:`, read from the document's layout (paths
    /// indented two spaces, their operations four).
    static func documentedOperations(_ yaml: String) -> Set<String> {
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var operations: Set<String> = []
        var inPaths = false
        var path: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" "), !line.isEmpty {
                inPaths = line == "paths:"
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"), let path {
                let key = String(line.dropFirst(4).dropLast())
                if methods.contains(key) { operations.insert("\(key.uppercased()) \(path)") }
            }
        }
        return operations
    }
}
