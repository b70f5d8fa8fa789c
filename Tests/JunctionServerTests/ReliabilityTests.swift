import Foundation
import HTTPTypes
import Hummingbird
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Reliability: heavy-read admission, health without the pool")
struct ReliabilityTests {
    @Test("a gate admits up to its slots, queues up to its waiting room, and refuses the rest at once")
    func admissionGate() async throws {
        let gate = AdmissionGate(running: 1, waiting: 1)
        #expect(await gate.enter())
        let second = Task { await gate.enter() }
        while gate.counts.queued == 0 { await Task.yield() }
        #expect(await gate.enter() == false)
        #expect(gate.counts == (active: 1, queued: 1, refused: 1))
        gate.leave()  // the slot passes to the waiter
        #expect(await second.value)
        #expect(gate.counts.active == 1 && gate.counts.queued == 0)
        gate.leave()
        #expect(gate.counts.active == 0)
    }

    @Test("heavy reads past the gate are answered 503 busy with Retry-After, light ones still 200")
    func busyHeavyReads() async throws {
        let gate = AdmissionGate(running: 1, waiting: 0)
        let harness = try APIHarness(heavyReads: gate)
        #expect(await gate.enter())  // someone else's dashboard holds the only slot
        try await harness.test { client in
            let busy = try await client.get("/api/v1/dashboard?range=7d")
            #expect(busy.status == .serviceUnavailable)
            #expect(busy.headers[.retryAfter] == "1")
            #expect(try busy.json()["code"] as? String == "busy")
            #expect(try await client.get("/api/v1/audit").status == .serviceUnavailable)
            #expect(try await client.get("/api/v1/workspaces").status == .ok)
            gate.leave()
            #expect(try await client.get("/api/v1/dashboard?range=7d").status == .ok)
        }
    }

    @Test("health is answered on the event loop only for plain loopback requests")
    func healthProbeScope() {
        func request(_ path: String, host: String?, origin: String? = nil, extraHost: String? = nil) -> HTTPRequest {
            var request = HTTPRequest(method: .get, scheme: "http", authority: host, path: path)
            if let origin { request.headerFields[.origin] = origin }
            if let extraHost, let name = HTTPField.Name("Host") { request.headerFields[name] = extraHost }
            return request
        }
        #expect(HealthProbeHandler.isProbe(request("/api/v1/health", host: "127.0.0.1:8080")))
        #expect(HealthProbeHandler.isProbe(request("/api/v1/health?x=1", host: "localhost")))
        #expect(HealthProbeHandler.isProbe(request("/api/v1/health", host: "[::1]:9")))
        #expect(!HealthProbeHandler.isProbe(request("/api/v1/health", host: "127.attacker.example")))
        #expect(!HealthProbeHandler.isProbe(request("/api/v1/health", host: "localhost:80x")))
        #expect(!HealthProbeHandler.isProbe(request("/api/v1/health", host: nil)))
        #expect(!HealthProbeHandler.isProbe(request("/api/v1/health", host: "localhost", origin: "http://evil")))
        #expect(!HealthProbeHandler.isProbe(request("/api/v1/health", host: "localhost", extraHost: "evil")))
        #expect(!HealthProbeHandler.isProbe(request("/api/v1/workspaces", host: "localhost")))
    }

    @Test("the watchdog's health document names stalled parts and turns degraded")
    func healthDocument() {
        let health = HealthController.health(startedAt: Date(), watchdog: nil)
        #expect(health.status == "ok" && health.stalled.isEmpty)
    }
}
