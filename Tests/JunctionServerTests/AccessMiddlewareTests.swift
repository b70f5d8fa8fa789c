import HTTPTypes
import HummingbirdTesting
import NIOCore
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

    @Test("the OAuth callback answers without a key (its state protects it); the rest of OAuth needs one")
    func oauthCallbackIsPublic() async throws {
        try await APIHarness().test { client in
            let callback = try await client.get("/api/v1/oauth/callback?code=c&state=forged", key: nil)
            #expect(callback.status == .badRequest)
            #expect(callback.body.contains("state does not match"))
            for path in ["/api/v1/oauth-providers", "/api/v1/oauth-templates", "/api/v1/oauth/callbackx"] {
                #expect(try await client.get(path, key: nil).status == .unauthorized)
            }
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
            // In process there is no socket: the daemon's port is the Host's (80, as none is given).
            var own = HTTPFields()
            own[.origin] = "http://localhost"
            let allowed = try await client.request(.get, "/api/v1/health", headers: own)
            #expect(allowed.status == .ok)
        }
    }

    @Test("Origin: null and loopback pages on other ports are refused", arguments: ["null", "http://localhost:3000"])
    func originRefusals(origin: String) async throws {
        try await APIHarness().test { client in
            var headers = HTTPFields()
            headers[.origin] = origin
            let reply = try await client.request(.get, "/api/v1/workspaces", headers: headers)
            #expect(reply.status == .forbidden)
            #expect(try reply.json()["code"] as? String == "forbidden_origin")
        }
    }

    @Test("a second Host header is 400")
    func duplicateHost() async throws {
        try await APIHarness().test { client in
            // The test client sends Host: localhost; a Host among the fields is a second one.
            var headers = HTTPFields()
            headers[.host] = "attacker.example"
            let reply = try await client.request(.get, "/api/v1/health", headers: headers)
            #expect(reply.status == .badRequest)
            let json = try reply.json()
            #expect(json["code"] as? String == "duplicate_host")
            #expect(json["error"] as? String != nil)
        }
    }

    @Test("over a socket: a rebinding Host is 403, the daemon's own Origin passes, another port's does not")
    func liveHostAndOrigin() async throws {
        try await APIHarness().test(.live) { client in
            let port = try #require(client.client.port)
            try await Self.withRawClient(port) { raw in
                for authority in ["127.attacker.example", "127.0.0.1.nip.io:\(port)", "app.localhost"] {
                    let reply = try await raw.execute(.init("/api/v1/health", method: .get, authority: authority))
                    #expect(reply.status == .forbidden, "\(authority)")
                    let body = String(buffer: reply.body ?? ByteBuffer())
                    #expect(body.contains("forbidden_host"), "\(authority)")
                }
                for authority in ["localhost", "127.0.0.1:\(port)", "[::1]:\(port)", "127.9.9.9"] {
                    let reply = try await raw.execute(.init("/api/v1/health", method: .get, authority: authority))
                    #expect(reply.status == .ok, "\(authority)")
                }
            }
            var own = HTTPFields()
            own[.origin] = "http://127.0.0.1:\(port)"
            #expect(try await client.request(.get, "/api/v1/health", headers: own).status == .ok)
            var otherPort = HTTPFields()
            otherPort[.origin] = "http://127.0.0.1:\(port == 1 ? 2 : port - 1)"
            #expect(try await client.request(.get, "/api/v1/health", headers: otherPort).status == .forbidden)
        }
    }

    @Test("allowed_hosts adds names; without it they are refused")
    func allowedHosts() async throws {
        try await APIHarness(allowedHosts: ["devbox.lan"]).test(.live) { client in
            let port = try #require(client.client.port)
            try await Self.withRawClient(port) { raw in
                let listed = try await raw.execute(
                    .init("/api/v1/health", method: .get, authority: "DevBox.lan:\(port)"))
                #expect(listed.status == .ok)
                let other = try await raw.execute(.init("/api/v1/health", method: .get, authority: "other.lan"))
                #expect(other.status == .forbidden)
            }
        }
    }

    /// A client whose requests carry the Host given to each (the harness's always says localhost).
    static func withRawClient(_ port: Int, _ body: (TestClient) async throws -> Void) async throws {
        let raw = TestClient(host: "localhost", port: port)
        raw.connect()
        do {
            try await body(raw)
        } catch {
            try? await raw.shutdown()
            throw error
        }
        try await raw.shutdown()
    }

    @Test("keys compare equal only when equal")
    func constantTime() {
        #expect(AccessMiddleware.constantTimeEqual("abc", "abc"))
        #expect(!AccessMiddleware.constantTimeEqual("abc", "abd"))
        #expect(!AccessMiddleware.constantTimeEqual("abc", "abcd"))
    }
}
