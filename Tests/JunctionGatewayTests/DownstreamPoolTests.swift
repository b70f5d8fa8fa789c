import Foundation
import JunctionCore
import JunctionStore
import Synchronization
import Testing

@testable import JunctionGateway

@Suite("DownstreamPool")
struct DownstreamPoolTests {
    static let secretScope = "scope-fake"

    /// Runs `body` with a pool over a temporary home whose one auth scope sets FAKE_SECRET, then
    /// shuts it down and waits until every process it started is gone.
    private func withPool(
        options: DownstreamPool.Options = .patientProbe,
        _ body: (DownstreamPool, PidLedger) async throws -> Void
    ) async throws {
        try await withDownstreamPool(options: options) { scopeId in
            guard scopeId == Self.secretScope else { throw StoreError.notFound(kind: "scope", key: scopeId) }
            return AuthScopeRepository.Secrets(env: ["FAKE_SECRET": "s3cret-value"])
        } _: { pool, ledger, _ in
            try await body(pool, ledger)
        }
    }

    private func call(_ instance: DownstreamInstance, _ tool: String, _ arguments: String = "{}") async throws
        -> JSONRPCMessage
    {
        let params = try RawJSON(validating: Array(#"{"name":"\#(tool)","arguments":\#(arguments)}"#.utf8))
        return try await instance.request("tools/call", params: params)
    }

    @Test("servers start lazily, initialised, with their catalog discovered")
    func lazyStart() async throws {
        try await withPool { pool, ledger in
            let downstream = FakeServer.downstream()
            #expect(await pool.running().isEmpty)
            #expect(await pool.status(of: downstream).state == "stopped")

            let instance = try await pool.instance(for: downstream, authScopeId: nil, sessionId: "s1")
            ledger.add(instance)
            #expect(instance.isRunning)
            #expect(instance.protocolVersion == "2025-06-18")
            #expect(instance.initializeResult["serverInfo"]?["name"]?.stringValue == "fake")
            let catalog = instance.catalog
            #expect(catalog.tools.compactMap { $0["name"]?.stringValue } == FakeServer.tools)
            #expect(catalog.resources.compactMap { $0["uri"]?.stringValue } == ["fake://readme"])
            #expect(catalog.resourceTemplates.compactMap { $0["uriTemplate"]?.stringValue } == ["fake://items/{id}"])
            #expect(catalog.prompts.compactMap { $0["name"]?.stringValue } == ["greet"])

            let status = await pool.status(of: downstream)
            #expect(status.state == "running")
            #expect(status.instances == 1)
            #expect(status.crashes == 0)
            #expect(await pool.running().count == 1)
        }
    }

    @Test("concurrent callers of a shared server get one process")
    func sharedInstance() async throws {
        try await withPool { pool, ledger in
            let downstream = FakeServer.downstream()
            async let first = pool.instance(for: downstream, authScopeId: nil, sessionId: "s1")
            async let second = pool.instance(for: downstream, authScopeId: nil, sessionId: "s2")
            let (a, b) = try await (first, second)
            ledger.add(a)
            ledger.add(b)
            #expect(a === b)
            #expect(a.pid == b.pid)
            #expect(await pool.running().count == 1)
        }
    }

    @Test("per-session servers get one process per session")
    func perSessionInstances() async throws {
        try await withPool { pool, ledger in
            let downstream = FakeServer.downstream(instanceMode: .perSession)
            async let first = pool.instance(for: downstream, authScopeId: nil, sessionId: "s1")
            async let second = pool.instance(for: downstream, authScopeId: nil, sessionId: "s2")
            let (a, b) = try await (first, second)
            ledger.add(a)
            ledger.add(b)
            #expect(a.pid != b.pid)
            #expect(a.key.sessionId == "s1")
            #expect(b.key.sessionId == "s2")
            let again = try await pool.instance(for: downstream, authScopeId: nil, sessionId: "s1")
            #expect(again === a)

            // Ending a session stops its instances only.
            let pid = try #require(a.pid)
            await pool.endSession("s1")
            try await waitUntil("the ended session's process exits") { processIsGone(pid) }
            #expect(b.isRunning)
        }
    }

    @Test("a crashed server is restarted after its backoff by the next call, and status reports the crash")
    func restartAfterCrash() async throws {
        try await withPool { pool, ledger in
            let downstream = FakeServer.downstream()
            let first = try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            ledger.add(first)
            let crashed = await #expect(throws: DownstreamError.self) { try await call(first, "crash") }
            guard case .unavailable? = crashed else {
                Issue.record("expected unavailable, got \(String(describing: crashed))")
                return
            }

            let second = try await bounded("the restart") {
                try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            }
            ledger.add(second)
            #expect(second !== first)
            #expect(second.pid != first.pid)
            #expect(try await call(second, "echo").kind == .response)

            let status = await pool.status(of: downstream)
            #expect(status.crashes == 1)
            #expect(status.lastError == "exited with status 3")
            #expect(status.state == "running")
        }
    }

    @Test("callers arriving during a backoff share the one restarted process")
    func concurrentCallersDuringBackoff() async throws {
        try await withPool { pool, ledger in
            let downstream = FakeServer.downstream()
            let first = try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            ledger.add(first)
            _ = try? await call(first, "crash")
            try await waitUntil("the pool notices the crash") {
                await pool.status(of: downstream).crashes == 1
            }
            async let a = pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            async let b = pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            let (x, y) = try await (a, b)
            ledger.add(x)
            ledger.add(y)
            #expect(x === y)
            #expect(await pool.running().count == 1)
        }
    }

    @Test("a crash is reported by status with its backoff, and a long backoff fails calls fast")
    func statusDuringBackoff() async throws {
        var options = DownstreamPool.Options()
        options.maxBackoffWait = .zero
        try await withPool(options: options) { pool, ledger in
            let downstream = FakeServer.downstream()
            let first = try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            ledger.add(first)
            _ = try? await call(first, "crash")
            try await waitUntil("the pool notices the crash") {
                await pool.status(of: downstream).crashes == 1
            }
            let status = await pool.status(of: downstream)
            #expect(status.lastError == "exited with status 3")
            #expect(status.instances == 0)
            #expect(["backoff", "stopped"].contains(status.state))
            if status.state == "backoff" {
                #expect((status.restartInSeconds ?? 0) > 0)
                let error = await #expect(throws: DownstreamError.self) {
                    try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
                }
                #expect(error?.description.contains("crashed 1 times (last: exited with status 3)") == true)
            }
        }
    }

    @Test("list_changed refreshes the catalog and reports it through the discovered hook")
    func listChanged() async throws {
        try await withPool { pool, ledger in
            let (changes, continuation) = AsyncStream<String>.makeStream()
            var hooks = DownstreamPool.Hooks()
            hooks.discovered = { downstream, catalog in
                // Discovery at start has no "extra"; the refresh after list_changed does.
                if catalog.tools.contains(where: { $0["name"]?.stringValue == "extra" }) {
                    continuation.yield(downstream.id)
                }
            }
            await pool.setHooks(hooks)
            let downstream = FakeServer.downstream()
            let instance = try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            ledger.add(instance)
            #expect(!instance.catalog.tools.contains { $0["name"]?.stringValue == "extra" })

            _ = try await call(instance, "change")
            let changed = try await bounded("the discovered hook after the refresh") { () async -> String? in
                for await id in changes { return id }
                return nil
            }
            #expect(changed == downstream.id)
            #expect(instance.catalog.tools.compactMap { $0["name"]?.stringValue } == FakeServer.tools + ["extra"])
        }
    }

    @Test("status changes reach the statusChanged hook: starting, running, backoff after a crash, stopped")
    func statusHook() async throws {
        try await withPool { pool, ledger in
            let statuses = Recording<DownstreamPool.Status>()
            var hooks = DownstreamPool.Hooks()
            hooks.statusChanged = { _, status in statuses.append(status) }
            await pool.setHooks(hooks)
            let downstream = FakeServer.downstream()
            let first = try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            ledger.add(first)
            #expect(statuses.elements.map(\.state) == ["starting", "running"])
            #expect(statuses.elements.last?.instances == 1)

            _ = try? await call(first, "crash")
            let crashed = try await statuses.first("the crash") { $0.crashes == 1 }
            #expect(crashed.state == "backoff")
            #expect(crashed.lastError == "exited with status 3")
            #expect(crashed.restartInSeconds != nil)

            let second = try await bounded("the restart") {
                try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            }
            ledger.add(second)
            await pool.stop(downstreamId: downstream.id)
            #expect(
                statuses.elements.map(\.state) == ["starting", "running", "backoff", "starting", "running", "stopped"])
            #expect(statuses.elements.allSatisfy { $0.downstreamId == downstream.id })
        }
    }

    @Test("an auth scope's secrets reach the child's environment, Junction's own environment does not")
    func environment() async throws {
        // A variable of this process's own that children must not inherit. Not one set here:
        // setenv while another test's thread spawns a process races with its reading of environ.
        // (Not one a shell or pyenv's python3 shim sets in the child for itself.)
        let setByTheChild: Set = ["PWD", "OLDPWD", "SHLVL", "_", "PLAIN_SETTING", "FAKE_SECRET"]
        let own = try #require(
            ProcessInfo.processInfo.environment.keys.sorted().first {
                !DownstreamPool.inheritedVariables.contains($0) && !setByTheChild.contains($0)
                    && !$0.hasPrefix("PYENV")
            }, "the test process has a variable children do not inherit")
        try await withPool { pool, ledger in
            let downstream = FakeServer.downstream(env: ["PLAIN_SETTING": "plain"])
            let scoped = try await pool.instance(for: downstream, authScopeId: Self.secretScope, sessionId: nil)
            ledger.add(scoped)
            func value(_ instance: DownstreamInstance, _ name: String) async throws -> RawJSON? {
                try await call(instance, "env", #"{"name":"\#(name)"}"#).result?["structuredContent"]?["value"]
            }
            #expect(try await value(scoped, "FAKE_SECRET")?.stringValue == "s3cret-value")
            #expect(try await value(scoped, "PLAIN_SETTING")?.stringValue == "plain")
            #expect(try await value(scoped, own)?.isNull == true, "\(own) leaked")
            #expect(try await value(scoped, "PATH")?.stringValue?.isEmpty == false)

            // Without the scope: another process, without the secret.
            let plain = try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            ledger.add(plain)
            #expect(plain.pid != scoped.pid)
            #expect(try await value(plain, "FAKE_SECRET")?.isNull == true)

            // A scope that cannot be opened is a clear error, not a start without credentials.
            let error = await #expect(throws: DownstreamError.self) {
                try await pool.instance(for: downstream, authScopeId: "missing", sessionId: nil)
            }
            #expect(error?.description.contains("its auth scope cannot be opened") == true)
        }
    }

    @Test("an instance idle past its timeout is stopped; a busy one is not")
    func stopIdle() async throws {
        try await withPool { pool, ledger in
            let downstream = FakeServer.downstream(idleTimeoutSec: 1)
            let instance = try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
            ledger.add(instance)
            let pid = try #require(instance.pid)

            // A call in flight keeps it, however long it runs.
            let busy = Task { try await call(instance, "sleep_forever") }
            try await waitUntil("the call reaches the server") {
                instance.stderrTail.contains { $0.hasPrefix("request tools/call") }
            }
            #expect(instance.idleFor(now: .now + .seconds(3600)) == .zero)
            await pool.stopIdle()
            #expect(instance.isRunning)
            busy.cancel()
            _ = try? await busy.value

            try await waitUntil("the idle instance is stopped") {
                await pool.stopIdle()
                return !instance.isRunning
            }
            try await waitUntil("its process is gone") { processIsGone(pid) }
            #expect(await pool.running().isEmpty)
            // Stopping on purpose is not a crash.
            #expect(await pool.status(of: downstream).crashes == 0)
        }
    }

    @Test("shutdown leaves no process behind, even one that ignores its closed stdin")
    func shutdownLeavesNoProcess() async throws {
        let directory = try TemporaryDirectory()
        let pool = DownstreamPool(home: JunctionHome(path: directory.path)) { _ in .init() }
        let polite = FakeServer.downstream(name: "polite")
        let stubborn = FakeServer.downstream(name: "stubborn", env: ["FAKE_IGNORE_EOF": "1"])
        let perSession = FakeServer.downstream(name: "mine", instanceMode: .perSession)
        var pids: [Int32] = []
        for downstream in [polite, stubborn, perSession] {
            pids.append(try #require(try await pool.instance(for: downstream, authScopeId: nil, sessionId: "s").pid))
        }
        #expect(Set(pids).count == 3)
        await pool.shutdown()
        for pid in pids {
            try await waitUntil("process \(pid) is gone") { processIsGone(pid) }
        }
        let refused = await #expect(throws: DownstreamError.self) {
            try await pool.instance(for: polite, authScopeId: nil, sessionId: nil)
        }
        #expect(refused?.description.contains("shutting down") == true)
    }
}

/// The pids of every process a test started, so teardown can check none is left.
final class PidLedger: Sendable {
    private let state = Mutex<Set<Int32>>([])

    var pids: [Int32] { state.withLock { Array($0) } }

    func add(_ instance: DownstreamInstance) {
        if let pid = instance.pid { state.withLock { _ = $0.insert(pid) } }
    }

    func record(_ pool: DownstreamPool) async {
        for instance in await pool.running() { add(instance) }
    }
}
