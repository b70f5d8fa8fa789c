import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore
import Logging

/// MCPProxy's admin API (`shared/api/mcpproxy-rest.md`) at its own paths and in its own shapes,
/// over the same engine and repositories as the native API: a thin translation, no second model.
///
/// - `GET /status`; `GET /servers` (each with its unified ``ServerHealth``);
///   `POST /servers/{name}/enable|disable|quarantine|restart`; `GET /servers/{name}/tools|logs`;
///   `POST /servers/enable_all|disable_all|restart_all|reconnect`.
/// - Activity (the audit trail, calls and changes): `MCPProxyController+Activity.swift`.
/// - Diagnostics, info, sessions, secrets, docker: `MCPProxyController+System.swift`.
///
/// `{name}` is a server's name (or id). Answers carry MCPProxy's `{"success": true, "data": …}`
/// envelope where its documentation shows one (`/status` has none); errors are the API's usual
/// `{"error", "code"}`.
struct MCPProxyController {
    static let logger = Logger(label: "junction.api")
    let environment: ServerEnvironment

    var repository: DownstreamRepository { DownstreamRepository(environment.database) }
    var catalog: CatalogRepository { CatalogRepository(environment.database) }
    var pool: DownstreamPool { environment.engine.pool }

    /// MCPProxy's envelope.
    struct Envelope<Payload: Encodable & Sendable>: ResponseEncodable, Sendable {
        var success = true
        var data: Payload

        init(_ data: Payload) {
            self.data = data
        }
    }

    /// `GET /status`.
    struct Status: ResponseEncodable, Sendable {
        struct Servers: Encodable, Sendable {
            var total: Int
            var connected: Int
            var quarantined: Int
            var enabled: Int
        }

        struct Tools: Encodable, Sendable {
            var total: Int
        }

        var status: String
        var version: String
        /// Seconds since the daemon started.
        var uptime: Int
        var servers: Servers
        var tools: Tools
    }

    /// A server as MCPProxy lists it.
    struct Server: Encodable, Sendable {
        var id: String
        var name: String
        var namespace: String
        /// `stdio`, `http` (streamable HTTP with the legacy SSE fallback), `streamable-http` or `sse`.
        var `protocol`: String
        @Nullable var url: String?
        @Nullable var command: String?
        var args: [String]
        var enabled: Bool
        var connected: Bool
        var quarantined: Bool
        var toolCount: Int
        /// The pool's state: stopped, starting, running, backoff or crash_loop.
        var status: String
        @Nullable var lastError: String?
        var health: ServerHealth

        enum CodingKeys: String, CodingKey {
            case id, name, namespace, `protocol`, url, command, args, enabled, connected, quarantined, status, health
            case toolCount = "tool_count"
            case lastError = "last_error"
        }
    }

    struct ServerList: Encodable, Sendable {
        var servers: [Server]
    }

    /// What a server action answers: the action and the server afterwards.
    struct ActionResult: Encodable, Sendable {
        var action: String
        var server: Server
    }

    /// What a bulk action answers: the servers it acted on and, per server, whether it worked.
    struct BulkResult: Encodable, Sendable {
        struct Outcome: Encodable, Sendable {
            var server: String
            var success: Bool
            var error: String?
        }

        var action: String
        var results: [Outcome]
        var succeeded: Int
        var failed: Int
    }

    /// `POST /servers/{name}/quarantine`: `{"quarantined": true|false}`; no body quarantines.
    struct QuarantineRequest: Decodable, Sendable {
        var quarantined: Bool
    }

    struct Tool: Encodable, Sendable {
        var name: String
        /// The name clients call it by (`namespace__tool`).
        var clientName: String
        var serverName: String
        var title: String?
        var description: String?
        var inputSchema: JSONValue?
        var annotations: JSONValue?

        enum CodingKeys: String, CodingKey {
            case name, title, description, annotations
            case clientName = "client_name"
            case serverName = "server_name"
            case inputSchema = "input_schema"
        }
    }

    struct ToolList: Encodable, Sendable {
        var serverName: String
        var tools: [Tool]
        var total: Int

        enum CodingKeys: String, CodingKey {
            case tools, total
            case serverName = "server_name"
        }
    }

    struct Logs: Encodable, Sendable {
        var serverName: String
        var logs: [String]
        var count: Int

        enum CodingKeys: String, CodingKey {
            case logs, count
            case serverName = "server_name"
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("status", use: status)
        let servers = group.group("servers")
        servers.get(use: list)
        servers.post("enable_all") { _, _ in try await bulkEnable(true) }
        servers.post("disable_all") { _, _ in try await bulkEnable(false) }
        servers.post("restart_all") { _, _ in try await bulkRestart(onlyDisconnected: false) }
        servers.post("reconnect") { _, _ in try await bulkRestart(onlyDisconnected: true) }
        servers.post(":name/enable") { _, context in try await setEnabled(context, true) }
        servers.post(":name/disable") { _, context in try await setEnabled(context, false) }
        servers.post(":name/quarantine", use: quarantine)
        servers.post(":name/restart", use: restart)
        servers.get(":name/tools", use: tools)
        servers.get(":name/logs", use: logs)
        addActivityRoutes(to: group)
        addSystemRoutes(to: group)
    }

    // MARK: - Status and servers

    @Sendable func status(_ request: Request, context: APIContext) async throws -> Status {
        let servers = try await allServers()
        return Status(
            status: environment.shutdown.isSet ? "stopping" : "running", version: JunctionVersion.current,
            uptime: max(0, Int(Date().timeIntervalSince(environment.startedAt))),
            servers: Status.Servers(
                total: servers.count, connected: servers.count(where: \.connected),
                quarantined: servers.count(where: \.quarantined), enabled: servers.count(where: \.enabled)),
            tools: Status.Tools(total: servers.filter { $0.enabled && !$0.quarantined }.reduce(0) { $0 + $1.toolCount })
        )
    }

    @Sendable func list(_ request: Request, context: APIContext) async throws -> Envelope<ServerList> {
        Envelope(ServerList(servers: try await allServers()))
    }

    func allServers() async throws -> [Server] {
        let counts = try catalog.counts(of: .tool)
        var servers: [Server] = []
        for downstream in try repository.list() {
            servers.append(await server(downstream, toolCount: counts[downstream.id] ?? 0))
        }
        return servers
    }

    func server(_ downstream: Downstream, toolCount: Int? = nil) async -> Server {
        let status = await pool.status(of: downstream)
        let count = toolCount ?? ((try? catalog.counts(of: .tool)[downstream.id]) ?? 0)
        var oauth: OAuthServerStatus?
        if downstream.transport == .http,
            let scopes = try? AuthScopeRepository(environment.database, box: nil).oauthScopes(
                downstreamId: downstream.id),
            !scopes.isEmpty
        {
            oauth = try? await environment.engine.oauth.status(server: downstream.id)
        }
        let health = ServerHealth.of(
            ServerHealth.Input(
                enabled: downstream.enabled, quarantined: downstream.quarantined, status: status, toolCount: count,
                oauth: oauth?.status, oauthError: oauth?.error))
        return Server(
            id: downstream.id, name: downstream.name, namespace: downstream.namespace,
            protocol: Self.protocolName(downstream), url: downstream.url, command: downstream.command,
            args: downstream.args, enabled: downstream.enabled, connected: status.state == "running",
            quarantined: downstream.quarantined, toolCount: count, status: status.state, lastError: status.lastError,
            health: health)
    }

    static func protocolName(_ downstream: Downstream) -> String {
        switch (downstream.transport, downstream.httpTransport) {
        case (.stdio, _): "stdio"
        case (.http, .auto): "http"
        case (.http, let flavour): flavour.rawValue
        }
    }

    // MARK: - Server actions

    private func setEnabled(_ context: APIContext, _ enabled: Bool) async throws -> Envelope<ActionResult> {
        let downstream = try repository.setEnabled(context.parameters.require("name"), enabled)
        if !enabled { await pool.stop(downstreamId: downstream.id) }
        return Envelope(ActionResult(action: enabled ? "enable" : "disable", server: await server(downstream)))
    }

    /// Quarantining stops the server's processes: nothing of it runs until it is approved.
    @Sendable func quarantine(_ request: Request, context: APIContext) async throws -> Envelope<ActionResult> {
        let name = try context.parameters.require("name")
        let body = try await request.decodeJSONIfPresent(QuarantineRequest.self, context: context)
        let quarantined = body?.quarantined ?? true
        let downstream = try repository.setQuarantined(name, quarantined)
        if quarantined { await pool.stop(downstreamId: downstream.id) }
        return Envelope(
            ActionResult(action: quarantined ? "quarantine" : "unquarantine", server: await server(downstream)))
    }

    @Sendable func restart(_ request: Request, context: APIContext) async throws -> Envelope<ActionResult> {
        let downstream = try repository.get(context.parameters.require("name"))
        if let refusal = Self.refusal(toStart: downstream) {
            throw APIError(.conflict, code: "server_unavailable", refusal)
        }
        if let error = await restartProcesses(downstream) {
            throw APIError(.conflict, code: "server_unavailable", error)
        }
        return Envelope(ActionResult(action: "restart", server: await server(downstream)))
    }

    /// Why `downstream` may not be started, if it may not.
    static func refusal(toStart downstream: Downstream) -> String? {
        if downstream.quarantined {
            return
                "server '\(downstream.name)' is quarantined; approve it first: junction server approve \(downstream.name)"
        }
        if !downstream.enabled {
            return "server '\(downstream.name)' is disabled; enable it first: junction server enable \(downstream.name)"
        }
        return nil
    }

    /// Stops every process of the server and starts a shared one again; records the restart.
    /// Returns why it failed to start, if it did.
    private func restartProcesses(_ downstream: Downstream) async -> String? {
        await pool.stop(downstreamId: downstream.id)
        var failure: String?
        if downstream.instanceMode == .shared {
            do {
                _ = try await pool.instance(for: downstream, authScopeId: startScope(of: downstream), sessionId: nil)
            } catch {
                failure = (error as? DownstreamError)?.description ?? "\(error)"
            }
        }
        var details: [String: JSONValue] = [:]
        if let failure { details["error"] = .string(failure) }
        var record = AuditRecord.change(
            .serverChange, "server/restarted", name: downstream.name, downstreamId: downstream.id,
            downstreamName: downstream.name, details: details)
        if failure != nil { record.status = .error }
        do {
            _ = try await AuditRepository(environment.database).insert([record])
        } catch {
            Self.logger.error(
                "the restart of \(downstream.name) was not recorded in the activity trail: \(error)",
                metadata: ["junction.downstream": "\(downstream.name)"])
        }
        return failure
    }

    /// The auth scope a restart starts the server with: that of its only scope, if it has one.
    private func startScope(of downstream: Downstream) -> String? {
        let scopes = (try? AuthScopeRepository(environment.database, box: nil).list(downstreamId: downstream.id)) ?? []
        return scopes.count == 1 ? scopes[0].id : nil
    }

    private func bulkEnable(_ enabled: Bool) async throws -> Envelope<BulkResult> {
        var results: [BulkResult.Outcome] = []
        for downstream in try repository.list() {
            do {
                let saved = try repository.setEnabled(downstream.id, enabled)
                if !enabled { await pool.stop(downstreamId: saved.id) }
                results.append(.init(server: downstream.name, success: true))
            } catch {
                results.append(.init(server: downstream.name, success: false, error: APIError.from(error).message))
            }
        }
        return Envelope(bulk(enabled ? "enable_all" : "disable_all", results))
    }

    /// `restart_all` restarts every enabled server that is not quarantined; `reconnect` only those
    /// not connected now (stopped after a failure, in backoff, or never started).
    private func bulkRestart(onlyDisconnected: Bool) async throws -> Envelope<BulkResult> {
        var targets: [Downstream] = []
        for downstream in try repository.list() where Self.refusal(toStart: downstream) == nil {
            if onlyDisconnected, await pool.status(of: downstream).state == "running" { continue }
            targets.append(downstream)
        }
        let results = await withTaskGroup(of: (Int, BulkResult.Outcome).self) { group in
            for (index, downstream) in targets.enumerated() {
                group.addTask {
                    let error = await restartProcesses(downstream)
                    return (index, .init(server: downstream.name, success: error == nil, error: error))
                }
            }
            var outcomes: [(Int, BulkResult.Outcome)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return Envelope(bulk(onlyDisconnected ? "reconnect" : "restart_all", results))
    }

    private func bulk(_ action: String, _ results: [BulkResult.Outcome]) -> BulkResult {
        BulkResult(
            action: action, results: results, succeeded: results.count(where: \.success),
            failed: results.count { !$0.success })
    }

    // MARK: - Tools and logs

    @Sendable func tools(_ request: Request, context: APIContext) async throws -> Envelope<ToolList> {
        let downstream = try repository.get(context.parameters.require("name"))
        let tools = try catalog.list(downstreamId: downstream.id, kind: .tool).map { entry in
            Tool(
                name: entry.name, clientName: ToolNaming.visibleName(namespace: downstream.namespace, name: entry.name),
                serverName: downstream.name, title: entry.title, description: entry.description,
                inputSchema: JSONValue.parse(entry.inputSchema), annotations: JSONValue.parse(entry.annotations))
        }
        return Envelope(ToolList(serverName: downstream.name, tools: tools, total: tools.count))
    }

    /// `?tail=N` (MCPProxy's name) or `?lines=N`: the last lines of the server's stderr log.
    @Sendable func logs(_ request: Request, context: APIContext) async throws -> Envelope<Logs> {
        let downstream = try repository.get(context.parameters.require("name"))
        let parameter = request.uri.queryParameters["tail"] != nil ? "tail" : "lines"
        let count = try request.queryInt(parameter, default: 100, in: 1...10_000)
        let lines = DownstreamController.logLines(of: downstream, home: environment.home, count: count)
        return Envelope(Logs(serverName: downstream.name, logs: lines, count: lines.count))
    }
}
