import Foundation
import HTTPTypes
import JunctionCore
import JunctionGateway
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Admin API: request rate per key, health of the servers, the WebSocket route")
struct RateLimitTests {
    static let limit = HTTPField.Name("X-RateLimit-Limit")!
    static let remaining = HTTPField.Name("X-RateLimit-Remaining")!
    static let reset = HTTPField.Name("X-RateLimit-Reset")!

    @Test("requests under the limit carry the rate headers; past it they get 429 with Retry-After")
    func rateLimit() async throws {
        let harness = try APIHarness()
        var limits = MCPSessionRegistry.Limits()
        limits.requestsPerMinute = 3
        harness.environment.mcp.limits = limits
        try await harness.test { client in
            var resets: Set<String> = []
            for left in [2, 1, 0] {
                let reply = try await client.get("/api/v1/workspaces")
                #expect(reply.status == .ok)
                #expect(reply.headers[Self.limit] == "3")
                #expect(reply.headers[Self.remaining] == String(left))
                resets.insert(try #require(reply.headers[Self.reset]))
            }
            let refused = try await client.get("/api/v1/workspaces")
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.json()["code"] as? String == "rate_limited")
            let retryAfter = try #require(refused.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
            #expect(refused.headers[Self.remaining] == "0")
            resets.insert(try #require(refused.headers[Self.reset]))
            #expect(resets.count == 1)
            // Health is public: not counted, not refused.
            let health = try await client.get("/api/v1/health", key: nil)
            #expect(health.status == .ok)
            #expect(health.headers[Self.limit] == nil)
        }
    }

    @Test("a key's minute begins with its first request; other keys count apart")
    func windows() throws {
        let registry = MCPSessionRegistry()
        var limits = MCPSessionRegistry.Limits()
        limits.requestsPerMinute = 2
        registry.limits = limits
        let start = Date(timeIntervalSince1970: 1_000_000)
        #expect(registry.admitRequest("a", now: start)?.allowed == true)
        #expect(registry.admitRequest("a", now: start.addingTimeInterval(10))?.remaining == 0)
        let refused = try #require(registry.admitRequest("a", now: start.addingTimeInterval(20)))
        #expect(!refused.allowed)
        #expect(refused.retryAfter == 40)
        #expect(refused.reset == 1_000_060)
        #expect(registry.admitRequest("b", now: start.addingTimeInterval(20))?.allowed == true)
        #expect(registry.admitRequest("a", now: start.addingTimeInterval(60))?.remaining == 1)
        limits.requestsPerMinute = 0
        registry.limits = limits
        #expect(registry.admitRequest("a", now: start.addingTimeInterval(61)) == nil)
    }

    @Test("/health/proxy answers each enabled server's health from the checks")
    func proxyHealth() async throws {
        let harness = try APIHarness()
        await harness.engine.prepare()
        try await harness.test { client in
            #expect(
                try await client.post("/api/v1/downstreams", FakeDownstream.createBody(name: "fake")).status == .created
            )
            let off = FakeDownstream.createBody(name: "off", extra: ["enabled": false])
            #expect(try await client.post("/api/v1/downstreams", off).status == .created)

            var document = try await client.get("/health/proxy").json()
            var servers = try #require(document["servers"] as? [String: [String: Any]])
            #expect(Set(servers.keys) == ["fake"])
            #expect(servers["fake"]?["status"] as? String == "stopped")
            #expect(document["overall_health"] as? String == "healthy")

            #expect(try await client.request(.post, "/api/v1/downstreams/fake/discover").status == .ok)
            #expect(
                try await client.get("/health/proxy").json()["servers"].flatMap { $0 as? [String: [String: Any]] }?[
                    "fake"]?["status"] as? String == "unknown")
            await harness.engine.pool.checkHealth()
            document = try await client.get("/health/proxy").json()
            servers = try #require(document["servers"] as? [String: [String: Any]])
            let fake = try #require(servers["fake"])
            #expect(fake["status"] as? String == "healthy")
            #expect(fake["state"] as? String == "running")
            #expect(fake["response_time_ms"] is Int)
            #expect(fake["last_check"] is String)
            #expect(document["status"] as? String == "healthy")
            #expect(document["engine_status"] as? String == "running")
            #expect(document["overall_health"] as? String == "healthy")

            let status = try #require(
                try await client.get("/api/v1/downstreams/fake").json()["status"] as? [String: Any])
            let health = try #require(status["health"] as? [String: Any])
            #expect(health["state"] as? String == "healthy")
            #expect(health["last_result"] as? String == "ok")
            #expect(health["consecutive_failures"] as? Int == 0)

            #expect(try await client.get("/health/proxy", key: nil).status == .unauthorized)
        }
    }

    @Test("/ws/proxy-events wants the key, and a WebSocket upgrade")
    func webSocketRoute() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            #expect(try await client.get("/ws/proxy-events", key: nil).status == .unauthorized)
            let plain = try await client.get("/ws/proxy-events")
            #expect(plain.status == .upgradeRequired)
            #expect(try plain.json()["code"] as? String == "upgrade_required")
        }
    }

    @Test("a server's own cap is set, cleared and checked through the API")
    func serverCap() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let body = FakeDownstream.createBody(name: "fake", extra: ["max_concurrent_calls": 2])
            let created = try await client.post("/api/v1/downstreams", body)
            #expect(created.status == .created)
            #expect(try created.json()["max_concurrent_calls"] as? Int == 2)
            let cleared = try await client.put("/api/v1/downstreams/fake", #"{"max_concurrent_calls": null}"#)
            #expect(try cleared.json()["max_concurrent_calls"] is NSNull)
            let kept = try await client.put("/api/v1/downstreams/fake", #"{"call_timeout_sec": 30}"#)
            #expect(try kept.json()["max_concurrent_calls"] is NSNull)
            let zero = try await client.put("/api/v1/downstreams/fake", #"{"max_concurrent_calls": 0}"#)
            #expect(try zero.json()["max_concurrent_calls"] as? Int == 0)
            for bad in ["-1", "10001", #""two""#, "1.5"] {
                let refused = try await client.put("/api/v1/downstreams/fake", #"{"max_concurrent_calls": \#(bad)}"#)
                #expect(refused.status == .badRequest, "\(bad): \(refused.body)")
            }
        }
    }
}
