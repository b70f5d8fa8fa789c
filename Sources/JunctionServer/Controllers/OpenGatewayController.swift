import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// The Open MCP Gateway surface, at its own paths and in its own shapes, over the one engine:
/// - `GET /health`: `{"status": "ok"}`, without a key;
/// - `GET /stats`: uptime, tool calls since the daemon started, servers running, and per server;
/// - `GET /servers[?tag=]`, `GET /servers/{id}`: servers in the seed's shape (`id` is the
///   server's name; a path takes its id or name);
/// - `POST /servers/{id}/start|stop`: `{id, status, message}`; a start that fails is a 502, one of
///   a server already running (or a stop of one stopped) is no error;
/// - `POST /admin/reload`: makes sure the engine routes by the stored configuration now and says
///   which servers came and went.
/// `/mcp` with `server_id` and `/rpc` with `X-Server-ID` are ``MCPController``'s. Errors come in
/// the seed's envelope (``SeedErrorMiddleware``).
struct OpenGatewayController {
    let environment: ServerEnvironment

    var repository: DownstreamRepository { DownstreamRepository(environment.database) }

    struct Summary: Encodable, Sendable {
        var id: String
        var displayName: String
        @Nullable var description: String? = nil
        var status: String
        var enabled: Bool
        var tags: [String]
        var runtimeType: String
        @Nullable var startedAt: Date? = nil
        @Nullable var lastActivity: Date? = nil
        var requestCount: Int
        @Nullable var uptimeSeconds: Int? = nil

        enum CodingKeys: String, CodingKey {
            case id, description, status, enabled, tags
            case displayName = "display_name"
            case runtimeType = "runtime_type"
            case startedAt = "started_at"
            case lastActivity = "last_activity"
            case requestCount = "request_count"
            case uptimeSeconds = "uptime_seconds"
        }

        init(_ facts: SeedServerFacts, now: Date) {
            id = facts.downstream.name
            displayName = facts.downstream.name
            description = nil
            status = facts.gatewayStatus
            enabled = facts.downstream.enabled
            tags = facts.downstream.tagList
            runtimeType = facts.runtimeType
            startedAt = facts.isRunning ? facts.activity.runningSince : nil
            lastActivity = facts.activity.lastCall
            requestCount = facts.activity.calls
            uptimeSeconds = facts.uptimeSeconds(now: now).map { Int($0) }
        }

    }

    struct Runtime: Encodable, Sendable {
        var type: String
        @Nullable var command: String? = nil
        var args: [String]
        @Nullable var url: String? = nil

        enum CodingKeys: String, CodingKey { case type, command, args, url }
    }

    struct Detail: Encodable, Sendable {
        var summary: Summary
        var runtime: Runtime
        var env: [String: String]
        var connectionCount: Int

        enum CodingKeys: String, CodingKey {
            case runtime, env
            case connectionCount = "connection_count"
        }

        func encode(to encoder: any Encoder) throws {
            try summary.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(runtime, forKey: .runtime)
            try container.encode(env, forKey: .env)
            try container.encode(connectionCount, forKey: .connectionCount)
        }
    }

    struct ServerStats: Encodable, Sendable {
        var status: String
        var requestCount: Int
        @Nullable var uptimeSeconds: Int? = nil
        @Nullable var lastActivity: Date? = nil

        enum CodingKeys: String, CodingKey {
            case status
            case requestCount = "request_count"
            case uptimeSeconds = "uptime_seconds"
            case lastActivity = "last_activity"
        }

    }

    struct Stats: Encodable, Sendable {
        var uptimeSeconds: Int
        var totalRequests: Int
        var activeServers: Int
        var totalServers: Int
        var lastReload: Date
        var servers: [String: ServerStats]

        enum CodingKeys: String, CodingKey {
            case servers
            case uptimeSeconds = "uptime_seconds"
            case totalRequests = "total_requests"
            case activeServers = "active_servers"
            case totalServers = "total_servers"
            case lastReload = "last_reload"
        }
    }

    struct Control: Encodable, Sendable {
        var id: String
        var status: String
        var message: String
    }

    struct Reload: Encodable, Sendable {
        var status = "ok"
        var message = "Catalog reloaded"
        var serversLoaded: Int
        var serversAdded: Int
        var serversRemoved: Int
        var added: [String]
        var removed: [String]
        var generation: UInt64

        enum CodingKeys: String, CodingKey {
            case status, message, added, removed, generation
            case serversLoaded = "servers_loaded"
            case serversAdded = "servers_added"
            case serversRemoved = "servers_removed"
        }
    }

    func addRoutes(to router: Router<APIContext>) {
        let seed = router.group().add(middleware: SeedErrorMiddleware(style: .openGateway))
        seed.get("health") { _, _ in try APIResponse.json(["status": "ok"]) }
        seed.get("stats") { _, _ in try await APIResponse.json(stats()) }
        seed.get("servers") { request, _ in try await APIResponse.json(servers(tag: request.uri.queryParameters["tag"]))
        }
        seed.get("servers/:id") { _, context in try await APIResponse.json(detail(context.parameters.require("id"))) }
        seed.post("servers/:id/start") { request, context in
            try await APIResponse.json(start(context.parameters.require("id"), request: request))
        }
        seed.post("servers/:id/stop") { _, context in try await APIResponse.json(stop(context.parameters.require("id")))
        }
        seed.post("admin/reload") { _, _ in try await APIResponse.json(reload()) }
    }

    func stats(now: Date = Date()) async throws -> Stats {
        let facts = try await SeedServerFacts.all(environment)
        let activity = environment.metrics.activity
        var servers: [String: ServerStats] = [:]
        for fact in facts {
            servers[fact.downstream.name] = ServerStats(
                status: fact.gatewayStatus, requestCount: fact.activity.calls,
                uptimeSeconds: fact.uptimeSeconds(now: now).map { Int($0) }, lastActivity: fact.activity.lastCall)
        }
        return Stats(
            uptimeSeconds: Int(now.timeIntervalSince(environment.startedAt)), totalRequests: activity.totalCalls,
            activeServers: facts.count(where: \.isRunning), totalServers: facts.count,
            lastReload: activity.lastReload ?? environment.startedAt, servers: servers)
    }

    func servers(tag: Substring?) async throws -> [Summary] {
        let now = Date()
        return try await SeedServerFacts.all(environment)
            .filter { fact in tag.map { fact.downstream.hasTag(String($0)) } ?? true }
            .map { Summary($0, now: now) }
    }

    func detail(_ id: String) async throws -> Detail {
        let facts = await SeedServerFacts.of(try server(id), environment: environment)
        let downstream = facts.downstream
        return Detail(
            summary: Summary(facts, now: Date()),
            runtime: Runtime(
                type: facts.runtimeType, command: downstream.command, args: downstream.args, url: downstream.url),
            env: downstream.env, connectionCount: facts.status.instances)
    }

    func start(_ id: String, request: Request) async throws -> Control {
        let downstream = try server(id)
        if await SeedServerFacts.of(downstream, environment: environment).isRunning {
            return Control(id: downstream.name, status: "running", message: "Server already running")
        }
        guard downstream.enabled, !downstream.quarantined else {
            let why = downstream.enabled ? "quarantined" : "disabled"
            throw APIError(
                .conflict, code: "server_\(why)",
                "server '\(downstream.name)' is \(why): junction server \(downstream.enabled ? "release" : "enable") "
                    + downstream.name)
        }
        let controller = DownstreamController(environment: environment)
        let scope = try await controller.discoveryScope(of: downstream, request: request)
        do {
            _ = try await environment.engine.pool.instance(for: downstream, authScopeId: scope, sessionId: nil)
        } catch let error as DownstreamError {
            throw APIError(.badGateway, code: "start_failed", "Failed to start server: \(error.description)")
        }
        return Control(id: downstream.name, status: "running", message: "Server started successfully")
    }

    func stop(_ id: String) async throws -> Control {
        let downstream = try server(id)
        let status = await environment.engine.pool.status(of: downstream)
        guard status.instances > 0 || status.state == "starting" else {
            return Control(id: downstream.name, status: "stopped", message: "Server already stopped")
        }
        await environment.engine.pool.stop(downstreamId: downstream.id)
        return Control(id: downstream.name, status: "stopped", message: "Server stopped successfully")
    }

    /// Waits (a few seconds at most) until the engine routes by the stored configuration's
    /// generation, then compares the servers it knew before with those it knows now. The engine
    /// follows every change by itself; this makes sure it has, now.
    func reload() async throws -> Reload {
        let engine = environment.engine
        let before = Set(engine.downstreams.map(\.name))
        let target = try environment.database.generation()
        let deadline = ContinuousClock.now + .seconds(5)
        while engine.configurationGeneration != target, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if engine.configurationGeneration != target {
            // Nobody follows the configuration (an engine that is not running): load it here.
            do {
                try engine.reloadConfiguration()
            } catch {
                throw APIError(
                    .internalServerError, code: "reload_failed", "Failed to reload catalog: \(error.description)")
            }
        }
        let after = Set(engine.downstreams.map(\.name))
        let added = after.subtracting(before).sorted()
        let removed = before.subtracting(after).sorted()
        return Reload(
            serversLoaded: after.count, serversAdded: added.count, serversRemoved: removed.count, added: added,
            removed: removed, generation: engine.configurationGeneration)
    }

    private func server(_ id: String) throws -> Downstream {
        do {
            return try repository.get(id)
        } catch .notFound {
            throw APIError(.notFound, code: "server_not_found", "Server '\(id)' not found")
        }
    }
}
