import Foundation
import JunctionCore
import Testing

@testable import JunctionGateway

@Suite("DownstreamPool health checks")
struct DownstreamPoolHealthTests {
    /// Checks that fail after a second and make a server unhealthy at the second failure in a row.
    static var options: DownstreamPool.Options {
        var options = DownstreamPool.Options.patientProbe
        options.healthCheckTimeout = .seconds(1)
        options.healthCheckFailures = 2
        return options
    }

    @Test("a server that answers its pings is healthy, with the check's time and round trip")
    func healthyServer() async throws {
        try await withDownstreamPool(options: Self.options) { pool, ledger, _ in
            let downstream = FakeServer.downstream()
            #expect(await pool.status(of: downstream).health.state == "unknown")
            _ = try await sharedInstance(of: downstream, in: pool, ledger: ledger)
            #expect(await pool.status(of: downstream).health.state == "unknown")

            await pool.checkHealth()
            let health = await pool.status(of: downstream).health
            #expect(health.state == "healthy")
            #expect(health.lastResult == "ok")
            #expect(health.lastCheck != nil)
            #expect(health.responseTimeMs != nil)
            #expect(health.consecutiveFailures == 0)
            #expect(health.errorCount == 0)
        }
    }

    @Test("a server that stops answering fails its checks, is killed and started again")
    func hungServerRestarted() async throws {
        try await withDownstreamPool(options: Self.options) { pool, ledger, directory in
            let log = directory.file("requests.jsonl")
            let downstream = FakeServer.downstream(env: ["FAKE_REQUEST_LOG": log])
            let hung = try await sharedInstance(of: downstream, in: pool, ledger: ledger)
            let hungPid = try #require(hung.pid)
            _ = try await callTool(hung, "hang")

            await pool.checkHealth()
            var status = await pool.status(of: downstream)
            #expect(status.health.state == "failing")
            #expect(status.health.consecutiveFailures == 1)
            #expect(status.health.lastResult?.contains("no answer to ping") == true)
            #expect(status.state == "running")

            await pool.checkHealth()
            status = await pool.status(of: downstream)
            #expect(status.health.state == "unhealthy")
            #expect(status.health.errorCount == 2)
            #expect(status.crashes == 1)
            #expect(status.lastError?.contains("failed 2 health checks in a row") == true)
            try await waitUntil("the hung process is killed") { processIsGone(hungPid) }

            // Started again by the pool once the backoff ends, with no call asking for it.
            try await waitUntil("the server runs again") {
                pool.readyInstance(for: downstream, authScopeId: nil, sessionId: nil) != nil
            }
            let restarted = try #require(pool.readyInstance(for: downstream, authScopeId: nil, sessionId: nil))
            ledger.add(restarted)
            #expect(restarted.pid != hungPid)
            await pool.checkHealth()
            status = await pool.status(of: downstream)
            #expect(status.health.state == "healthy")
            #expect(status.health.errorCount == 2)
            let pings = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
                .filter { $0.contains(#""method": "ping""#) }
            #expect(pings.count == 3)
        }
    }

    @Test("checks neither keep a server from its idle stop nor wake it afterwards")
    func idleServersLeftAlone() async throws {
        try await withDownstreamPool(options: Self.options) { pool, ledger, directory in
            let log = directory.file("requests.jsonl")
            let downstream = FakeServer.downstream(env: ["FAKE_REQUEST_LOG": log], idleTimeoutSec: 1)
            let instance = try await sharedInstance(of: downstream, in: pool, ledger: ledger)
            let pid = try #require(instance.pid)
            // Checked over and over: if a check counted as use, the server would never be idle.
            try await waitUntil("the server is stopped as idle") {
                await pool.checkHealth()
                await pool.stopIdle()
                return await pool.running().isEmpty
            }
            try await waitUntil("the idle process exits") { processIsGone(pid) }
            let pingsBefore = try Self.count("ping", in: log)
            #expect(pingsBefore >= 1)

            await pool.checkHealth()
            #expect(await pool.running().isEmpty)
            #expect(await pool.status(of: downstream).state == "stopped")
            #expect(try Self.count("ping", in: log) == pingsBefore)
            #expect(try Self.count("initialize", in: log) == 1)
        }
    }

    static func count(_ method: String, in log: String) throws -> Int {
        try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            .count { $0.contains(#""method": "\#(method)""#) }
    }
}
