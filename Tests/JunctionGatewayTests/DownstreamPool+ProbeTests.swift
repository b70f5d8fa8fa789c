import Foundation
import JunctionCore
import Testing

@testable import JunctionGateway

@Suite("DownstreamPool era probe")
struct DownstreamPoolProbeTests {
    @Test("a modern server is found by server/discover, never initialised, and its catalog discovered")
    func modernServer() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let log = RequestLog(path: directory.file("requests.jsonl"))
            let downstream = ModernServer.downstream(requestLog: log)
            let instance = try await sharedInstance(of: downstream, in: pool, ledger: ledger)

            #expect(instance.era == .modern("2026-07-28"))
            #expect(instance.protocolVersion == "2026-07-28")
            #expect(instance.initializeResult["serverInfo"]?["name"]?.stringValue == "modern-fake")
            #expect(instance.initializeResult["instructions"]?.stringValue == "A modern fake.")
            #expect(instance.capabilities["tools"]?["listChanged"]?.boolValue == true)
            let catalog = instance.catalog
            #expect(catalog.tools.compactMap { $0["name"]?.stringValue } == ModernServer.tools)
            #expect(catalog.resources.compactMap { $0["uri"]?.stringValue } == ["modern://status"])
            #expect(catalog.prompts.compactMap { $0["name"]?.stringValue } == ["hello"])

            let entries = log.entries
            #expect(entries.first?.method == "server/discover")
            let probe = try #require(entries.first?.params?["_meta"])
            #expect(probe[MCPProtocol.Meta.protocolVersion]?.stringValue == "2026-07-28")
            #expect(probe[MCPProtocol.Meta.clientInfo]?["name"]?.stringValue == "junction")
            #expect(probe[MCPProtocol.Meta.clientCapabilities]?.isObject == true)
            #expect(!log.methods.contains("initialize"))
            // Discovery went stamped (the fake refuses requests without `_meta`).
            let listing = try #require(entries.first { $0.method == "tools/list" })
            #expect(listing.params?["_meta"]?[MCPProtocol.Meta.protocolVersion]?.stringValue == "2026-07-28")
        }
    }

    @Test("a per-session instance opens with initialize (its server may ask its one client the old way)")
    func perSessionHandshakeFirst() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let log = RequestLog(path: directory.file("requests.jsonl"))
            let downstream = FakeServer.downstream(instanceMode: .perSession, env: ["FAKE_REQUEST_LOG": log.path])
            let instance = try await pool.instance(for: downstream, authScopeId: nil, sessionId: "s1")
            ledger.add(instance)
            #expect(instance.era == .handshake("2025-06-18"))
            #expect(log.methods.first == "initialize")
            #expect(!log.methods.contains("server/discover"))
        }
    }

    @Test("a modern-only server run per session refuses initialize and is then found by the probe")
    func perSessionModernOnly() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let log = RequestLog(path: directory.file("requests.jsonl"))
            var downstream = ModernServer.downstream(requestLog: log)
            downstream.instanceMode = .perSession
            let instance = try await pool.instance(for: downstream, authScopeId: nil, sessionId: "s1")
            ledger.add(instance)
            #expect(instance.era == .modern("2026-07-28"))
            #expect(Array(log.methods.prefix(2)) == ["initialize", "server/discover"])
            #expect(instance.catalog.tools.compactMap { $0["name"]?.stringValue } == ModernServer.tools)
        }
    }

    @Test("a server remembered as modern is probed again at its next start")
    func modernProbedAgain() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let log = RequestLog(path: directory.file("requests.jsonl"))
            let downstream = ModernServer.downstream(requestLog: log)
            let first = try await sharedInstance(of: downstream, in: pool, ledger: ledger)
            let second = try await restartedInstance(of: downstream, after: first, in: pool, ledger: ledger)
            #expect(second.era == .modern("2026-07-28"))
            #expect(log.count("server/discover") == 2)
        }
    }

    @Test("a handshake-only server falls back to initialize, and is not probed again while remembered")
    func handshakeServer() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let log = RequestLog(path: directory.file("requests.jsonl"))
            let downstream = FakeServer.downstream(env: ["FAKE_REQUEST_LOG": log.path])
            let first = try await sharedInstance(of: downstream, in: pool, ledger: ledger)
            #expect(first.era == .handshake("2025-06-18"))
            #expect(first.catalog.tools.compactMap { $0["name"]?.stringValue } == FakeServer.tools)
            #expect(Array(log.methods.prefix(2)) == ["server/discover", "initialize"])

            let second = try await restartedInstance(of: downstream, after: first, in: pool, ledger: ledger)
            #expect(second.era == .handshake("2025-06-18"))
            #expect(log.count("server/discover") == 1)
            #expect(log.count("initialize") == 2)

            // An edited server is probed again.
            var edited = downstream
            edited.env["FAKE_EDITED"] = "1"
            let third = try await sharedInstance(of: edited, in: pool, ledger: ledger)
            #expect(third.era == .handshake("2025-06-18"))
            #expect(log.count("server/discover") == 2)
        }
    }

    @Test("a server silent on server/discover is initialised once the probe times out")
    func silentOnDiscover() async throws {
        var options = DownstreamPool.Options()
        options.probeTimeout = .milliseconds(500)
        try await withDownstreamPool(options: options) { pool, ledger, directory in
            let log = RequestLog(path: directory.file("requests.jsonl"))
            let downstream = FakeServer.downstream(env: ["FAKE_REQUEST_LOG": log.path, "FAKE_DISCOVER": "silent"])
            let instance = try await sharedInstance(of: downstream, in: pool, ledger: ledger)
            #expect(instance.era == .handshake("2025-06-18"))
            #expect(Array(log.methods.prefix(2)) == ["server/discover", "initialize"])
            #expect(await pool.status(of: downstream).crashes == 0)
            let response = try await callTool(instance, "echo", #"{"x":1}"#)
            #expect(response.kind == .response)
        }
    }

    @Test("a server that exits on server/discover is started again and initialised, without a crash")
    func exitsOnDiscover() async throws {
        try await withDownstreamPool { pool, ledger, directory in
            let log = RequestLog(path: directory.file("requests.jsonl"))
            let downstream = FakeServer.downstream(env: ["FAKE_REQUEST_LOG": log.path, "FAKE_DISCOVER": "exit"])
            let first = try await sharedInstance(of: downstream, in: pool, ledger: ledger)
            #expect(first.era == .handshake("2025-06-18"))
            let entries = log.entries
            #expect(entries.compactMap(\.method).prefix(2) == ["server/discover", "initialize"])
            #expect(entries.first?.pid != nil && entries.first?.pid != entries.dropFirst().first?.pid)
            #expect(await pool.status(of: downstream).crashes == 0)

            // Remembered as handshake-era: the next start goes straight to initialize.
            let second = try await restartedInstance(of: downstream, after: first, in: pool, ledger: ledger)
            #expect(second.era == .handshake("2025-06-18"))
            #expect(log.count("server/discover") == 1)
            #expect(log.count("initialize") == 2)
        }
    }

    @Test("a modern server too slow for the probe is found by its answer to initialize")
    func modernSlowToDiscover() async throws {
        var options = DownstreamPool.Options()
        options.probeTimeout = .milliseconds(500)
        try await withDownstreamPool(options: options) { pool, ledger, directory in
            let log = RequestLog(path: directory.file("requests.jsonl"))
            let downstream = ModernServer.downstream(requestLog: log, env: ["MODERN_IGNORE_FIRST_DISCOVER": "1"])
            let instance = try await sharedInstance(of: downstream, in: pool, ledger: ledger)
            #expect(instance.era == .modern("2026-07-28"))
            #expect(instance.catalog.tools.compactMap { $0["name"]?.stringValue } == ModernServer.tools)
            let requests = log.methods.filter { $0 != "notifications/cancelled" }
            #expect(Array(requests.prefix(3)) == ["server/discover", "initialize", "server/discover"])
        }
    }

    @Test("a discover result is read as an initialize result")
    func synthesizedInitializeResult() throws {
        let discovered = try RawJSON(
            validating: Array(
                #"""
                {"resultType":"complete","supportedVersions":["2026-07-28"],"capabilities":{"tools":{}},
                 "instructions":"use me","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s","version":"1"}},
                 "ttlMs":1000,"cacheScope":"public"}
                """#.utf8))
        let result = DownstreamPool.initializeResult(discovered: discovered, version: "2026-07-28")
        #expect(result["protocolVersion"]?.stringValue == "2026-07-28")
        #expect(result["capabilities"]?["tools"] != nil)
        #expect(result["serverInfo"]?["name"]?.stringValue == "s")
        #expect(result["instructions"]?.stringValue == "use me")
        #expect(DownstreamPool.newestModern(in: ["2025-11-25", "2026-07-28"]) == "2026-07-28")
        #expect(DownstreamPool.newestModern(in: ["2025-11-25"]) == nil)
    }
}
