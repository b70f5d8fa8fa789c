import Foundation
import JunctionCore
import JunctionGateway
import JunctionInstall
import JunctionStore

/// What the admin API's controllers work with: the daemon's engine (and through it the
/// database, routing, pool, caches and event feed) plus the daemon's own facts.
public struct ServerEnvironment: Sendable {
    public let engine: GatewayEngine
    /// The engine's approval queue, when it runs one (the daemon does).
    public let approvals: ApprovalQueue?
    public let apiKey: String
    public let allowRemote: Bool
    /// Host names the API answers besides loopback ones (the `allowed_hosts` setting).
    public var allowedHosts: [String] = []
    /// The address the daemon bound (`--host`): a Host it accepts with `allowRemote`.
    public var boundHost: String?
    public let startedAt: Date
    /// Where the user's AI clients keep their configuration (a sandbox in tests).
    public var clients: ClientEnvironment = .current()
    /// Counters for `/metrics`, fed by the event feed while the daemon runs.
    public let metrics = MetricsCollector()
    /// The dashboard, audit pages and exports, and tool search: two at a time, eight waiting,
    /// the rest answered 503 (see ``OffloadMiddleware``). Two leave the database executor's other
    /// threads, and its reader connections, to everything else.
    public var heavyReads = AdmissionGate(running: 2, waiting: 8)
    /// Dashboard snapshots shared by every open dashboard (single flight, a few seconds' reuse).
    public let dashboards: DashboardCache
    /// The daemon's watchdog, whose stalls `/api/v1/health` and `/metrics` report.
    public var watchdog: Watchdog?
    /// Set when the daemon begins to shut down: the API then refuses new requests (503).
    public let shutdown = ShutdownFlag()
    /// MCP-over-HTTP sessions (`/mcp`, `/rpc`), shared by the daemon's listeners.
    public let mcp = MCPSessionRegistry()
    /// The HTTP URL the daemon serves, once bound (for health and `junction ui`).
    public var baseURL: String?

    public init(engine: GatewayEngine, apiKey: String, allowRemote: Bool = false, startedAt: Date = Date()) {
        self.engine = engine
        self.approvals = engine.approvals as? ApprovalQueue
        self.apiKey = apiKey
        self.allowRemote = allowRemote
        self.startedAt = startedAt
        self.dashboards = DashboardCache(database: engine.database)
    }

    public var database: AppDatabase { engine.database }
    public var home: JunctionHome { engine.home }
}
