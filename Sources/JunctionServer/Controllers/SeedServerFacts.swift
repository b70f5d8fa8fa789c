import Foundation
import JunctionCore
import JunctionGateway
import JunctionStore

/// What the seed surfaces (Open MCP Gateway, MCP Proxy Engine) say about one server, read from
/// the one engine: its stored definition, the pool's live status, and the daemon's activity
/// record. One place, so both surfaces name states and transports alike.
struct SeedServerFacts: Sendable {
    var downstream: Downstream
    var status: DownstreamPool.Status
    var activity: ServerActivity.Server
    var toolCount: Int

    /// Facts of every stored server, in the repository's order.
    static func all(_ environment: ServerEnvironment) async throws -> [SeedServerFacts] {
        let counts = try CatalogRepository(environment.database).counts(of: .tool)
        var facts: [SeedServerFacts] = []
        for downstream in try DownstreamRepository(environment.database).list() {
            facts.append(await of(downstream, environment: environment, toolCount: counts[downstream.id] ?? 0))
        }
        return facts
    }

    static func of(
        _ downstream: Downstream, environment: ServerEnvironment, toolCount: Int? = nil
    ) async -> SeedServerFacts {
        let count = toolCount ?? ((try? CatalogRepository(environment.database).counts(of: .tool))?[downstream.id] ?? 0)
        return SeedServerFacts(
            downstream: downstream, status: await environment.engine.pool.status(of: downstream),
            activity: environment.metrics.activity.server(downstream.id), toolCount: count)
    }

    var isRunning: Bool { status.state == "running" }

    /// Open MCP Gateway's word for the state: `running`, `starting`, `stopped`, or `error` (waiting
    /// out a backoff after a crash or failed start).
    var gatewayStatus: String {
        switch status.state {
        case "running", "starting", "stopped": status.state
        default: "error"
        }
    }

    /// Open MCP Gateway's runtime type: `local-process` (stdio), `remote-sse` (legacy HTTP+SSE),
    /// `remote-http` (streamable HTTP, or found by the spec's fallback).
    var runtimeType: String {
        switch downstream.transport {
        case .stdio: "local-process"
        case .http: downstream.httpTransport == .sse ? "remote-sse" : "remote-http"
        }
    }

    /// MCP Proxy Engine's server type: `stdio`, `sse`, or `streamable-http`.
    var proxyType: String { Self.proxyType(of: downstream) }

    static func proxyType(of downstream: Downstream) -> String {
        switch downstream.transport {
        case .stdio: "stdio"
        case .http: downstream.httpTransport == .sse ? "sse" : "streamable-http"
        }
    }

    /// Seconds the server's process has run, while it runs.
    func uptimeSeconds(now: Date = Date()) -> Double? {
        guard isRunning, let since = activity.runningSince else { return nil }
        return max(0, now.timeIntervalSince(since))
    }

    /// Whether the server runs now, or could run: enabled and not quarantined.
    var usable: Bool { downstream.enabled && !downstream.quarantined }

    /// Failed calls plus crashes and failed starts since the daemon started.
    var errorCount: Int { activity.failed + status.crashes }
}
