import HTTPTypes
import Testing

@testable import JunctionServer

@Suite("Admin API access: key, Host and Origin")
struct AccessMiddlewareTests {
    @Test("health answers without a key")
    func healthIsPublic() async throws {
        try await APIHarness().test { client in
            let reply = try await client.get("/api/v1/health", key: nil)
            #expect(reply.status == .ok)
            let json = try reply.json()
            #expect(json["status"] as? String == "ok")
            #expect(json["version"] as? String != nil)
        }
    }

    @Test("a missing key is 401 with a JSON error that says how to get one")
    func missingKey() async throws {
        try await APIHarness().test { client in
            let reply = try await client.get("/api/v1/anything", key: nil)
            #expect(reply.status == .unauthorized)
            let json = try reply.json()
            #expect(json["code"] as? String == "unauthorized")
            #expect((json["error"] as? String)?.contains("X-API-Key") == true)
        }
    }

    @Test("a wrong key is 401")
    func wrongKey() async throws {
        try await APIHarness().test { client in
            let reply = try await client.get("/api/v1/anything", key: "nope")
            #expect(reply.status == .unauthorized)
        }
    }

    @Test("the key is accepted as X-API-Key, Bearer and ?apikey=")
    func keyForms() async throws {
        try await APIHarness().test { client in
            let header = try await client.get("/api/v1/nothing-here")
            #expect(header.status == .notFound)
            var bearer = HTTPFields()
            bearer[.authorization] = "Bearer \(APIHarness.key)"
            let viaBearer = try await client.request(.get, "/api/v1/nothing-here", headers: bearer, key: nil)
            #expect(viaBearer.status == .notFound)
            let viaQuery = try await client.get("/api/v1/nothing-here?apikey=\(APIHarness.key)", key: nil)
            #expect(viaQuery.status == .notFound)
        }
    }

    @Test("an unknown endpoint is a JSON 404")
    func unknownEndpoint() async throws {
        try await APIHarness().test { client in
            let reply = try await client.get("/api/v1/nothing-here")
            #expect(reply.status == .notFound)
            #expect(try reply.json()["code"] as? String == "not_found")
        }
    }

    @Test("a foreign Origin is refused; the daemon's own is fine")
    func origin() async throws {
        try await APIHarness().test { client in
            var evil = HTTPFields()
            evil[.origin] = "http://evil.example"
            let refused = try await client.request(.get, "/api/v1/health", headers: evil)
            #expect(refused.status == .forbidden)
            #expect(try refused.json()["code"] as? String == "forbidden_origin")
            var own = HTTPFields()
            own[.origin] = "http://localhost:8080"
            let allowed = try await client.request(.get, "/api/v1/health", headers: own)
            #expect(allowed.status == .ok)
        }
    }

    @Test("host names parse with ports and IPv6 brackets")
    func hostNames() {
        #expect(AccessMiddleware.hostName("LocalHost:8080") == "localhost")
        #expect(AccessMiddleware.hostName("[::1]:8080") == "::1")
        #expect(AccessMiddleware.hostName("127.0.0.1") == "127.0.0.1")
        #expect(AccessMiddleware.isLoopback("127.0.0.1"))
        #expect(AccessMiddleware.isLoopback("app.localhost"))
        #expect(!AccessMiddleware.isLoopback("localhost.evil.example"))
        #expect(!AccessMiddleware.isLoopback("10.0.0.1"))
    }

    @Test("keys compare equal only when equal")
    func constantTime() {
        #expect(AccessMiddleware.constantTimeEqual("abc", "abc"))
        #expect(!AccessMiddleware.constantTimeEqual("abc", "abd"))
        #expect(!AccessMiddleware.constantTimeEqual("abc", "abcd"))
    }
}
