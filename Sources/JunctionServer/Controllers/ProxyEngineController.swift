import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// The MCP Proxy Engine surface, at its own paths and in its own shapes, over the one engine:
/// - `GET /admin/proxy-status`, `GET /admin/proxy-stats`: servers, tools, discoveries;
/// - `POST /admin/refresh-proxy-tools`: rediscovers every enabled server at once, per server;
/// - `GET /admin/servers`, `GET /admin/servers/{name}`: server status with what the server said of
///   itself at initialize (`server_info`) and call statistics since the daemon started;
/// - `GET /tools/proxy[?server=&prefix=&enabled=]`, `GET /tools/proxy/{tool_name}`, `POST /tools/call`
///   (``ProxyEngineController+Tools.swift``);
/// - `GET /admin/proxy-config`, `POST /admin/validate-proxy-config` (``ProxyEngineController+Config.swift``);
/// - `GET /metrics/proxy`: engine, call and per-server figures as JSON.
/// A server's `name` is Junction's server name; a tool's `name` its client-visible `ns__tool`.
/// Errors come in the seed's envelope (``SeedErrorMiddleware``).
struct ProxyEngineController {
    let environment: ServerEnvironment

    static let proxyVersion = "1.0"

    var activity: ServerActivity { environment.metrics.activity }

    struct Status: Encodable, Sendable {
        var status: String
        var initialized: Bool
        var serversConfigured: Int
        var serversConnected: Int
        var toolsDiscovered: Int
        var uptimeSeconds: Double

        enum CodingKeys: String, CodingKey {
            case status, initialized
            case serversConfigured = "servers_configured"
            case serversConnected = "servers_connected"
            case toolsDiscovered = "tools_discovered"
            case uptimeSeconds = "uptime_seconds"
        }
    }

    struct GenerationStats: Encodable, Sendable {
        var totalFunctions: Int
        var functionsByServer: [String: Int]
        var serversRepresented: Int
        @Nullable var oldestFunction: Double? = nil
        @Nullable var newestFunction: Double? = nil

        enum CodingKeys: String, CodingKey {
            case totalFunctions = "total_functions"
            case functionsByServer = "functions_by_server"
            case serversRepresented = "servers_represented"
            case oldestFunction = "oldest_function"
            case newestFunction = "newest_function"
        }

    }

    struct Stats: Encodable, Sendable {
        var serversConfigured: Int
        var serversConnected: Int
        var toolsDiscovered: Int
        var proxyFunctionsGenerated: Int
        var toolsRegistered: Int
        var conflictsDetected: Int
        var uptimeSeconds: Double
        @Nullable var lastDiscovery: Double? = nil
        var generationStats: GenerationStats

        enum CodingKeys: String, CodingKey {
            case serversConfigured = "servers_configured"
            case serversConnected = "servers_connected"
            case toolsDiscovered = "tools_discovered"
            case proxyFunctionsGenerated = "proxy_functions_generated"
            case toolsRegistered = "tools_registered"
            case conflictsDetected = "conflicts_detected"
            case uptimeSeconds = "uptime_seconds"
            case lastDiscovery = "last_discovery"
            case generationStats = "generation_stats"
        }

    }

    struct ServerRefresh: Encodable, Sendable {
        var name: String
        var success: Bool
        var toolsDiscovered: Int
        var durationMs: Double
        @Nullable var error: String? = nil

        enum CodingKeys: String, CodingKey {
            case name, success, error
            case toolsDiscovered = "tools_discovered"
            case durationMs = "duration_ms"
        }

    }

    struct Refresh: Encodable, Sendable {
        var success: Bool
        var toolsDiscovered: Int
        var toolsRegistered: Int
        var serversRefreshed: Int
        var refreshTime: Double
        var servers: [ServerRefresh]

        enum CodingKeys: String, CodingKey {
            case success, servers
            case toolsDiscovered = "tools_discovered"
            case toolsRegistered = "tools_registered"
            case serversRefreshed = "servers_refreshed"
            case refreshTime = "refresh_time"
        }
    }

    func addRoutes(to router: Router<APIContext>) {
        let seed = router.group().add(middleware: SeedErrorMiddleware(style: .proxyEngine))
        seed.get("admin/proxy-status") { _, _ in try await APIResponse.json(status()) }
        seed.get("admin/proxy-stats") { _, _ in try await APIResponse.json(stats()) }
        seed.post("admin/refresh-proxy-tools") { request, _ in try await APIResponse.json(refresh(request)) }
        seed.get("admin/servers") { _, _ in try await APIResponse.json(servers()) }
        seed.get("admin/servers/:name") { _, context in
            try await APIResponse.json(server(context.parameters.require("name")))
        }
        seed.get("metrics/proxy") { _, _ in try await APIResponse.json(metrics()) }
        addToolRoutes(to: seed)
        addConfigRoutes(to: seed)
    }

    var uptimeSeconds: Double { Date().timeIntervalSince(environment.startedAt) }

    func status() async throws -> Status {
        let facts = try await SeedServerFacts.all(environment)
        return Status(
            status: environment.shutdown.isSet ? "stopped" : "running", initialized: true,
            serversConfigured: facts.count, serversConnected: facts.count(where: \.isRunning),
            toolsDiscovered: facts.reduce(0) { $0 + $1.toolCount }, uptimeSeconds: uptimeSeconds)
    }

    func stats() async throws -> Stats {
        let facts = try await SeedServerFacts.all(environment)
        let tools = try await proxyTools()
        let registered = tools.filter(\.enabled)
        var byServer: [String: Int] = [:]
        for tool in registered { byServer[tool.facts.downstream.name, default: 0] += 1 }
        let created = registered.map(\.entry.firstSeen.timeIntervalSince1970)
        let names = Dictionary(grouping: tools, by: \.name)
        return Stats(
            serversConfigured: facts.count, serversConnected: facts.count(where: \.isRunning),
            toolsDiscovered: tools.count, proxyFunctionsGenerated: registered.count,
            toolsRegistered: registered.count, conflictsDetected: names.values.count { $0.count > 1 },
            uptimeSeconds: uptimeSeconds, lastDiscovery: activity.lastDiscovery?.timeIntervalSince1970,
            generationStats: GenerationStats(
                totalFunctions: registered.count, functionsByServer: byServer, serversRepresented: byServer.count,
                oldestFunction: created.min(), newestFunction: created.max()))
    }

    /// Rediscovers every enabled server at once: a running one is listed again, another started
    /// (which discovers it). Each server's outcome is reported; one that fails fails alone.
    func refresh(_ request: Request) async throws -> Refresh {
        let began = ContinuousClock.now
        let servers = try DownstreamRepository(environment.database).list().filter { $0.enabled && !$0.quarantined }
        var scopes: [String: String?] = [:]
        let control = DownstreamController(environment: environment)
        for server in servers { scopes[server.id] = try await control.discoveryScope(of: server, request: request) }
        let pool = environment.engine.pool
        let database = environment.database
        let activity = activity
        let results = await withTaskGroup(of: (Int, ServerRefresh).self) { group in
            for (index, server) in servers.enumerated() {
                let scope = scopes[server.id] ?? nil
                group.addTask {
                    let started = ContinuousClock.now
                    var failure: String?
                    if await pool.status(of: server).state == "running" {
                        await pool.rediscover(downstreamId: server.id)
                    } else {
                        do {
                            _ = try await pool.instance(for: server, authScopeId: scope, sessionId: nil)
                        } catch {
                            failure = "\(error)"
                        }
                    }
                    if failure == nil { activity.discovered(serverId: server.id) }
                    let count = (try? CatalogRepository(database).counts(of: .tool))?[server.id] ?? 0
                    return (
                        index,
                        ServerRefresh(
                            name: server.name, success: failure == nil, toolsDiscovered: failure == nil ? count : 0,
                            durationMs: Self.milliseconds(ContinuousClock.now - started), error: failure)
                    )
                }
            }
            var results: [(Int, ServerRefresh)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
        let elapsed = ContinuousClock.now - began
        activity.refreshed(durationMs: Self.milliseconds(elapsed))
        let tools = results.reduce(0) { $0 + $1.toolsDiscovered }
        return Refresh(
            success: results.allSatisfy(\.success), toolsDiscovered: tools, toolsRegistered: tools,
            serversRefreshed: results.count(where: \.success), refreshTime: Self.milliseconds(elapsed) / 1000,
            servers: results)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// The server a path names (its id or name), or the seed's 404.
    func downstream(_ name: String) throws -> Downstream {
        do {
            return try DownstreamRepository(environment.database).get(name)
        } catch .notFound {
            throw APIError(.notFound, code: "SERVER_NOT_FOUND", "MCP server '\(name)' is not configured")
        }
    }
}
