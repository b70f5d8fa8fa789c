import Foundation
import JunctionCore
import JunctionGateway
import Synchronization

/// What the daemon has seen each server and tool do since it started, kept from the engine's event
/// feed (no database query): calls and their outcomes, when a server came up, when it last
/// answered, discoveries and configuration reloads. The Open MCP Gateway and MCP Proxy Engine
/// surfaces (`/stats`, `/servers`, `/admin/servers`, `/metrics/proxy`) read it. Fed by
/// ``MetricsCollector``, which follows the feed while the daemon runs.
public final class ServerActivity: Sendable {
    /// One server's record.
    public struct Server: Sendable, Equatable {
        /// Calls that reached the server (answered, failed or timed out), cache hits included.
        public var calls = 0
        public var succeeded = 0
        public var failed = 0
        public var latencyMsSum = 0.0
        public var lastCall: Date?
        /// The last time the server answered: a call it served, a start that finished its handshake.
        public var lastAnswered: Date?
        public var lastError: String?
        public var lastErrorAt: Date?
        /// Since when a process of it runs (nil while none does).
        public var runningSince: Date?
        public var lastDiscovery: Date?

        public var averageLatencyMs: Double? { calls == 0 ? nil : latencyMsSum / Double(calls) }
    }

    /// One client-visible tool's record.
    public struct Tool: Sendable, Equatable {
        public var calls = 0
        public var lastCalled: Date?
    }

    struct State {
        var servers: [String: Server] = [:]
        var tools: [String: Tool] = [:]
        /// Every tool call completed (audited), whatever its outcome.
        var totalCalls = 0
        var succeededCalls = 0
        var lastReload: Date?
        var discoveries = 0
        var lastDiscovery: Date?
        var lastRefreshMs: Double?
    }

    private let state = Mutex(State())

    public init() {}

    /// The server's record (an empty one when it did nothing yet).
    public func server(_ id: String) -> Server {
        state.withLock { $0.servers[id] ?? Server() }
    }

    public func tool(_ visibleName: String) -> Tool {
        state.withLock { $0.tools[visibleName] ?? Tool() }
    }

    public var totalCalls: Int { state.withLock { $0.totalCalls } }
    public var succeededCalls: Int { state.withLock { $0.succeededCalls } }
    public var lastReload: Date? { state.withLock { $0.lastReload } }
    public var discoveries: Int { state.withLock { $0.discoveries } }
    public var lastDiscovery: Date? { state.withLock { $0.lastDiscovery } }
    /// How long the last refresh of every server's tools took (`POST /admin/refresh-proxy-tools`).
    public var lastRefreshMs: Double? { state.withLock { $0.lastRefreshMs } }

    func refreshed(durationMs: Double) {
        state.withLock { $0.lastRefreshMs = durationMs }
    }

    /// Takes one event of the engine's feed into account.
    func record(_ event: Event) {
        switch event.type {
        case EventType.toolCallCompleted:
            guard let record = event.payload as? AuditRecord else { return }
            completed(record)
        case EventType.serversChanged:
            guard let changed = event.payload as? EventPayload.ServerChanged else { return }
            state.withLock { state in
                var server = state.servers[changed.status.downstreamId] ?? Server()
                switch changed.status.state {
                case "running":
                    if server.runningSince == nil { server.runningSince = event.time }
                    server.lastAnswered = event.time
                case "starting":
                    break
                default:
                    server.runningSince = nil
                    if let error = changed.status.lastError, changed.status.state != "stopped" {
                        server.lastError = error
                        server.lastErrorAt = event.time
                    }
                }
                state.servers[changed.status.downstreamId] = server
            }
        case EventType.toolsIndexed:
            guard let indexed = event.payload as? EventPayload.ToolsIndexed else { return }
            state.withLock { state in
                state.servers[indexed.serverId, default: Server()].lastDiscovery = event.time
                state.servers[indexed.serverId, default: Server()].lastAnswered = event.time
                state.discoveries += 1
                state.lastDiscovery = event.time
            }
        case EventType.configReloaded:
            state.withLock { $0.lastReload = event.time }
        default:
            break
        }
    }

    /// Marks a discovery that found nothing new (the feed only reports catalogs that changed).
    func discovered(serverId: String, at time: Date = Date()) {
        state.withLock { state in
            state.servers[serverId, default: Server()].lastDiscovery = time
            state.servers[serverId, default: Server()].lastAnswered = time
            state.discoveries += 1
            state.lastDiscovery = time
        }
    }

    private func completed(_ record: AuditRecord) {
        let time = record.createdAt.addingTimeInterval(record.latencyMs / 1000)
        state.withLock { state in
            state.totalCalls += 1
            if record.status == .ok { state.succeededCalls += 1 }
            var tool = state.tools[record.toolName] ?? Tool()
            tool.calls += 1
            tool.lastCalled = time
            state.tools[record.toolName] = tool
            // Denied, unapproved and cancelled calls never reached the server.
            guard let serverId = record.downstreamId, [.ok, .error, .timeout].contains(record.status) else { return }
            var server = state.servers[serverId] ?? Server()
            server.calls += 1
            server.latencyMsSum += record.latencyMs
            server.lastCall = time
            if record.status == .ok {
                server.succeeded += 1
                server.lastAnswered = time
            } else {
                server.failed += 1
                server.lastError = record.errorMessage ?? record.status.rawValue
                server.lastErrorAt = time
            }
            state.servers[serverId] = server
        }
    }
}
