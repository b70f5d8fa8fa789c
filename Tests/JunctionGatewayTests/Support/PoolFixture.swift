import Foundation
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionGateway

extension DownstreamPool.Options {
    /// Options whose era probe waits as long as tests wait for an event: a busy machine never
    /// turns a modern server's slow answer into a fallback to `initialize`.
    static var patientProbe: Self {
        var options = Self()
        options.probeTimeout = .seconds(eventBound)
        return options
    }
}

/// Runs `body` with a pool over a temporary home, then shuts it down and waits until every process
/// it started is gone.
func withDownstreamPool(
    options: DownstreamPool.Options = .patientProbe,
    hooks: DownstreamPool.Hooks = DownstreamPool.Hooks(),
    secrets: @escaping @Sendable (String) throws -> AuthScopeRepository.Secrets = { scopeId in
        throw StoreError.notFound(kind: "scope", key: scopeId)
    },
    _ body: (DownstreamPool, PidLedger, TemporaryDirectory) async throws -> Void
) async throws {
    let directory = try TemporaryDirectory()
    let pool = DownstreamPool(home: JunctionHome(path: directory.path), options: options, secrets: secrets)
    await pool.setHooks(hooks)
    let ledger = PidLedger()
    var failure: (any Error)?
    do {
        try await body(pool, ledger, directory)
    } catch {
        failure = error
    }
    await ledger.record(pool)
    await pool.shutdown()
    for pid in ledger.pids {
        try await waitUntil("process \(pid) is gone after shutdown") { processIsGone(pid) }
    }
    if let failure { throw failure }
}

/// A `tools/call` of `tool` with `arguments` (JSON text).
func callTool(
    _ instance: DownstreamInstance, _ tool: String, _ arguments: String = "{}", context: RequestContext? = nil
) async throws -> JSONRPCMessage {
    let params = try RawJSON(validating: Array(#"{"name":"\#(tool)","arguments":\#(arguments)}"#.utf8))
    return try await instance.request("tools/call", params: params, context: context)
}

/// The shared instance of `downstream`, started if needed and recorded in `ledger`.
func sharedInstance(
    of downstream: Downstream, in pool: DownstreamPool, ledger: PidLedger
) async throws -> DownstreamInstance {
    let instance = try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
    ledger.add(instance)
    return instance
}

/// Stops the shared instance of `downstream`, waits until its process is gone, and starts another.
func restartedInstance(
    of downstream: Downstream, after instance: DownstreamInstance, in pool: DownstreamPool, ledger: PidLedger
) async throws -> DownstreamInstance {
    let pid = try #require(instance.pid)
    await pool.stop(downstreamId: downstream.id)
    try await waitUntil("the stopped process exits") { processIsGone(pid) }
    return try await sharedInstance(of: downstream, in: pool, ledger: ledger)
}
