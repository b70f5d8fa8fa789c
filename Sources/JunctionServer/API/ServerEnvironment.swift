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
    public let startedAt: Date
    /// Where the user's AI clients keep their configuration (a sandbox in tests).
    public var clients: ClientEnvironment = .current()
    /// Counters for `/metrics`, fed by the event feed while the daemon runs.
    public let metrics = MetricsCollector()
    /// Set when the daemon begins to shut down: the API then refuses new requests (503).
    public let shutdown = ShutdownFlag()
    /// The HTTP URL the daemon serves, once bound (for health and `junction ui`).
    public var baseURL: String?

    public init(engine: GatewayEngine, apiKey: String, allowRemote: Bool = false, startedAt: Date = Date()) {
        self.engine = engine
        self.approvals = engine.approvals as? ApprovalQueue
        self.apiKey = apiKey
        self.allowRemote = allowRemote
        self.startedAt = startedAt
    }

    public var database: AppDatabase { engine.database }
    public var home: JunctionHome { engine.home }
}
