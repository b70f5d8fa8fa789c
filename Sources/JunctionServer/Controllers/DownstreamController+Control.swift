import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// Pool control and what a server offers and logs:
/// - `POST /downstreams/{id}/discover[?auth_scope=]`: starts the server if it is not running and
///   answers what it offers (its tools as stored in the catalog, which discovery refreshes).
/// - `POST /downstreams/{id}/restart[?auth_scope=]`: stops every process of the server and, for a
///   shared server, starts it again (per-session servers start with their next session's call).
/// - `POST /downstreams/{id}/stop`: stops every process of the server.
/// - `GET /downstreams/{id}/tools[?kind=tool|resource|resource_template|prompt|all]`.
/// - `GET /downstreams/{id}/logs[?lines=N]`: the last lines of the server's stderr log.
///
/// A server that cannot start (disabled, bad command, crashing, in backoff) is a 409 whose message
/// says why, with the tail of its stderr.
extension DownstreamController {
    /// What `discover` answers.
    struct Discovery: ResponseEncodable, Sendable {
        var serverId: String
        /// The auth scope the server was started with, if any.
        var authScopeId: String?
        var status: DownstreamPool.Status
        var tools: [CatalogEntry]
        var resourceCount: Int
        var promptCount: Int

        enum CodingKeys: String, CodingKey {
            case status, tools
            case serverId = "server_id"
            case authScopeId = "auth_scope_id"
            case resourceCount = "resource_count"
            case promptCount = "prompt_count"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(serverId, forKey: .serverId)
            try container.encode(authScopeId, forKey: .authScopeId)
            try container.encode(status, forKey: .status)
            try container.encode(tools, forKey: .tools)
            try container.encode(resourceCount, forKey: .resourceCount)
            try container.encode(promptCount, forKey: .promptCount)
        }
    }

    /// What `logs` answers: the last lines of `logs/<server>.log` (and of its rotated
    /// predecessor when the current file holds fewer), oldest first.
    struct Logs: ResponseEncodable, Sendable {
        var serverId: String
        var lines: [String]

        enum CodingKeys: String, CodingKey {
            case lines
            case serverId = "server_id"
        }
    }

    func addControlRoutes(to downstreams: RouterGroup<APIContext>) {
        downstreams.post(":id/discover", use: discover)
        downstreams.post(":id/restart", use: restart)
        downstreams.post(":id/stop", use: stop)
        downstreams.get(":id/tools", use: tools)
        downstreams.get(":id/logs", use: logs)
    }

    @Sendable func discover(_ request: Request, context: APIContext) async throws -> Discovery {
        let downstream = try repository.get(context.parameters.require("id"))
        let scopeId = try await discoveryScope(of: downstream, request: request)
        try await start(downstream, authScopeId: scopeId)
        let entries = try catalog.list(downstreamId: downstream.id)
        return Discovery(
            serverId: downstream.id, authScopeId: scopeId, status: await pool.status(of: downstream),
            tools: entries.filter { $0.kind == .tool },
            resourceCount: entries.count { $0.kind == .resource || $0.kind == .resourceTemplate },
            promptCount: entries.count { $0.kind == .prompt })
    }

    @Sendable func restart(_ request: Request, context: APIContext) async throws -> Item {
        let downstream = try repository.get(context.parameters.require("id"))
        let scopeId = try await discoveryScope(of: downstream, request: request)
        await pool.stop(downstreamId: downstream.id)
        if downstream.instanceMode == .shared {
            try await start(downstream, authScopeId: scopeId)
        }
        return try await item(downstream)
    }

    @Sendable func stop(_ request: Request, context: APIContext) async throws -> Item {
        let downstream = try repository.get(context.parameters.require("id"))
        await pool.stop(downstreamId: downstream.id)
        return try await item(downstream)
    }

    @Sendable func tools(_ request: Request, context: APIContext) async throws -> [CatalogEntry] {
        let downstream = try repository.get(context.parameters.require("id"))
        let kind: CatalogEntry.Kind?
        switch request.uri.queryParameters["kind"].map(String.init) {
        case nil: kind = .tool
        case "all": kind = nil
        case let raw?: kind = try Validate.oneOf(raw, as: CatalogEntry.Kind.self, field: "kind")
        }
        return try catalog.list(downstreamId: downstream.id, kind: kind)
    }

    @Sendable func logs(_ request: Request, context: APIContext) async throws -> Logs {
        let downstream = try repository.get(context.parameters.require("id"))
        let count = try request.queryInt("lines", default: 100, in: 1...10_000)
        return Logs(serverId: downstream.id, lines: Self.logLines(of: downstream, home: environment.home, count: count))
    }

    /// The last `count` lines of the server's stderr log (and of its rotated predecessor when the
    /// current file holds fewer), oldest first.
    static func logLines(of downstream: Downstream, home: JunctionHome, count: Int) -> [String] {
        let path = (home.logsPath as NSString).appendingPathComponent("\(downstream.name).log")
        var lines = lastLines(ofFile: path, count: count)
        if lines.count < count {
            lines = lastLines(ofFile: path + ".1", count: count - lines.count) + lines
        }
        return lines
    }

    /// Starts the server's instance for `authScopeId` unless it runs; a failure to start is a 409.
    private func start(_ downstream: Downstream, authScopeId: String?) async throws {
        do {
            _ = try await pool.instance(for: downstream, authScopeId: authScopeId, sessionId: nil)
        } catch let error as DownstreamError {
            throw APIError(.conflict, code: "server_unavailable", error.description)
        }
    }

    /// The auth scope to start the server with: `?auth_scope=` (id or name, one of this server's
    /// scopes); else that of a shared process already running; else the one routing gives the
    /// server's namespace outside any workspace; else the server's only scope, if it has one.
    func discoveryScope(of downstream: Downstream, request: Request) async throws -> String? {
        let scopes = try AuthScopeRepository(environment.database, box: nil).list(downstreamId: downstream.id)
        if let wanted = request.uri.queryParameters["auth_scope"].map(String.init) {
            guard let scope = scopes.first(where: { $0.id == wanted || $0.name == wanted }) else {
                throw APIError.badRequest(
                    "server '\(downstream.name)' has no auth scope '\(wanted)'", field: "auth_scope")
            }
            return scope.id
        }
        let running = await pool.running().first { $0.key.downstreamId == downstream.id && $0.key.sessionId == nil }
        if let running { return running.key.authScopeId }
        let probe = ToolNaming.visibleName(namespace: downstream.namespace, name: "*")
        let decision = environment.engine.route(tool: probe, clientRoot: "/")
        if decision.decision != .deny, decision.downstream?.id == downstream.id, let scope = decision.authScope {
            return scope.id
        }
        return scopes.count == 1 ? scopes[0].id : nil
    }

    /// The last `count` lines of a text file, oldest first; none when it cannot be read. Reads
    /// backwards from the end in blocks, so a long log costs only what is shown.
    static func lastLines(ofFile path: String, count: Int) -> [String] {
        // Close-on-exec (FileHandle(forReadingAtPath:) is not on Linux).
        let fd = count > 0 ? Foundation.open(path, O_RDONLY | O_CLOEXEC) : -1
        guard fd >= 0 else { return [] }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > 0 else { return [] }
        let block: UInt64 = 64 * 1024
        let limit: UInt64 = 8 * 1024 * 1024
        var offset = size
        var chunks: [Data] = []
        var newlines = 0
        // One newline more than lines wanted: the first line read may be cut.
        while offset > 0, size - offset < limit, newlines <= count {
            let start = offset > block ? offset - block : 0
            guard (try? handle.seek(toOffset: start)) != nil,
                let chunk = try? handle.read(upToCount: Int(offset - start))
            else { return [] }
            newlines += chunk.count(where: { $0 == 0x0A })
            chunks.append(chunk)
            offset = start
        }
        let data = Data(chunks.reversed().joined())
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if lines.last == "" { lines.removeLast() }
        if offset > 0, !lines.isEmpty { lines.removeFirst() }
        return Array(lines.suffix(count))
    }
}
