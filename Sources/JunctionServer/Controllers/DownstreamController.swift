import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// `/api/v1/downstreams`: the downstream MCP servers Junction starts or reaches, with their live
/// state. `{id}` is a server's id or its name, as on the command line.
///
/// Every read of a server carries its live `status` (from the pool) and its `tool_count` (from
/// the stored catalog). Changing or deleting a server stops its running processes: the next call
/// starts it as now defined. Control routes (discover, restart, stop, tools, logs) are in
/// `DownstreamController+Control.swift`.
struct DownstreamController {
    let environment: ServerEnvironment

    var repository: DownstreamRepository { DownstreamRepository(environment.database) }
    var catalog: CatalogRepository { CatalogRepository(environment.database) }
    var pool: DownstreamPool { environment.engine.pool }

    /// A server as the API shows it: the stored definition plus `status` and `tool_count`.
    struct Item: ResponseEncodable, Sendable {
        var downstream: Downstream
        var status: DownstreamPool.Status
        var toolCount: Int

        enum CodingKeys: String, CodingKey {
            case status
            case toolCount = "tool_count"
        }

        func encode(to encoder: any Encoder) throws {
            try downstream.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)
            try container.encode(toolCount, forKey: .toolCount)
        }
    }

    /// `POST /downstreams`. A stdio server needs `command` (with `args`), an http server `url`;
    /// `transport` follows from which is given. Unknown fields are ignored; empty strings for
    /// `command`, `url` and `cwd` count as absent.
    struct CreateRequest: Decodable, Sendable {
        var name: String
        var namespace: String?
        var transport: String?
        var command: String?
        var args: [String]?
        var env: [String: String]?
        var cwd: String?
        var url: String?
        var headers: [String: String]?
        /// `auto` (default), `streamable-http` or `sse`: how an http server is spoken to.
        var httpTransport: String?
        var enabled: Bool?
        var quarantined: Bool?
        /// `shared` (default) or `per_session` (`per-session` is accepted too).
        var instanceMode: String?
        var idleTimeoutSec: WholeNumber?
        var callTimeoutSec: WholeNumber?
        /// Tool calls it runs at once; absent or null follows the setting, 0 is no cap.
        var maxConcurrentCalls: WholeNumber?
        /// A map, or the list form (`["database", "env:production"]`).
        var tags: TagsInput?

        enum CodingKeys: String, CodingKey {
            case name, namespace, transport, command, args, env, cwd, url, headers, enabled, quarantined, tags
            case instanceMode = "instance_mode"
            case httpTransport = "http_transport"
            case idleTimeoutSec = "idle_timeout_sec"
            case callTimeoutSec = "call_timeout_sec"
            case maxConcurrentCalls = "max_concurrent_calls"
        }
    }

    /// `PUT /downstreams/{id}`: a partial update. Absent fields keep their value; `command`, `url`
    /// and `cwd` may be `null` (or empty) to clear them, `max_concurrent_calls` `null` to follow
    /// the setting; no other field may be `null`. Maps
    /// (`env`, `headers`, `tags`) and `args`, when given, replace the whole value. Without
    /// `transport`, a server left with only a `url` becomes an http server and one left with only
    /// a `command` a stdio server.
    struct UpdateRequest: Decodable, Sendable {
        var name: String?
        var namespace: String?
        var transport: String?
        var command: Patch<String>
        var args: [String]?
        var env: [String: String]?
        var cwd: Patch<String>
        var url: Patch<String>
        var headers: [String: String]?
        var httpTransport: String?
        var enabled: Bool?
        var quarantined: Bool?
        var instanceMode: String?
        var idleTimeoutSec: Int?
        var callTimeoutSec: Int?
        /// `null` returns it to the setting.
        var maxConcurrentCalls: Patch<Int>
        var tags: [String: String]?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CreateRequest.CodingKeys.self)
            name = try container.decodeUnlessNull(String.self, forKey: .name)
            namespace = try container.decodeUnlessNull(String.self, forKey: .namespace)
            transport = try container.decodeUnlessNull(String.self, forKey: .transport)
            command = try container.decodePatch(String.self, forKey: .command)
            args = try container.decodeUnlessNull([String].self, forKey: .args)
            env = try container.decodeUnlessNull([String: String].self, forKey: .env)
            cwd = try container.decodePatch(String.self, forKey: .cwd)
            url = try container.decodePatch(String.self, forKey: .url)
            headers = try container.decodeUnlessNull([String: String].self, forKey: .headers)
            httpTransport = try container.decodeUnlessNull(String.self, forKey: .httpTransport)
            enabled = try container.decodeUnlessNull(Bool.self, forKey: .enabled)
            quarantined = try container.decodeUnlessNull(Bool.self, forKey: .quarantined)
            instanceMode = try container.decodeUnlessNull(String.self, forKey: .instanceMode)
            idleTimeoutSec = try container.decodeUnlessNull(WholeNumber.self, forKey: .idleTimeoutSec)?.value
            callTimeoutSec = try container.decodeUnlessNull(WholeNumber.self, forKey: .callTimeoutSec)?.value
            maxConcurrentCalls = try container.decodePatch(WholeNumber.self, forKey: .maxConcurrentCalls).map(\.value)
            tags = try container.decodeUnlessNull(TagsInput.self, forKey: .tags)?.tags
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        let downstreams = group.group("downstreams")
        downstreams.get(use: list)
        downstreams.post(use: create)
        downstreams.get(":id", use: show)
        downstreams.put(":id", use: update)
        downstreams.delete(":id", use: delete)
        addControlRoutes(to: downstreams)
    }

    /// `GET /downstreams[?tag=]`: every server, or those with the tag (a key, or `key:value`).
    @Sendable func list(_ request: Request, context: APIContext) async throws -> [Item] {
        let counts = try catalog.counts(of: .tool)
        let tag = request.uri.queryParameters["tag"].map(String.init)
        var items: [Item] = []
        for downstream in try repository.list() where tag.map(downstream.hasTag) ?? true {
            items.append(
                Item(
                    downstream: downstream, status: await pool.status(of: downstream),
                    toolCount: counts[downstream.id] ?? 0))
        }
        return items
    }

    @Sendable func show(_ request: Request, context: APIContext) async throws -> Item {
        try await item(repository.get(context.parameters.require("id")))
    }

    @Sendable func create(_ request: Request, context: APIContext) async throws -> EditedResponse<Item> {
        let body = try await request.decodeJSON(CreateRequest.self, context: context)
        let command = Self.nonEmpty(body.command)
        let url = Self.nonEmpty(body.url)
        if body.transport == nil {
            if command != nil && url != nil {
                throw APIError.badRequest(
                    "give either command (a stdio server) or url (an http server), not both", field: "url")
            }
            if command == nil && url == nil {
                throw APIError.badRequest(
                    "give command (and args) to start a stdio server, or url for an http server", field: "command")
            }
        }
        let downstream = Downstream(
            name: body.name, namespace: body.namespace,
            transport: try body.transport.map(Self.transport) ?? (url == nil ? .stdio : .http),
            command: command, args: body.args ?? [], env: body.env ?? [:], cwd: Self.nonEmpty(body.cwd), url: url,
            headers: body.headers ?? [:], httpTransport: try body.httpTransport.map(Self.httpTransport) ?? .auto,
            enabled: body.enabled ?? true, quarantined: body.quarantined ?? false,
            instanceMode: try body.instanceMode.map(Self.instanceMode) ?? .shared,
            idleTimeoutSec: body.idleTimeoutSec?.value ?? Downstream.defaultIdleTimeoutSec,
            callTimeoutSec: body.callTimeoutSec?.value ?? Downstream.defaultCallTimeoutSec,
            maxConcurrentCalls: body.maxConcurrentCalls?.value, tags: body.tags?.tags ?? [:])
        try Self.refuseNUL(downstream)
        return EditedResponse(status: .created, response: try await item(repository.create(downstream)))
    }

    @Sendable func update(_ request: Request, context: APIContext) async throws -> Item {
        let stored = try repository.get(context.parameters.require("id"))
        let body = try await request.decodeJSON(UpdateRequest.self, context: context)
        var downstream = stored
        if let name = body.name { downstream.name = name }
        if let namespace = body.namespace { downstream.namespace = namespace }
        downstream.command = Self.nonEmpty(body.command.applied(to: stored.command))
        if let args = body.args { downstream.args = args }
        if let env = body.env { downstream.env = env }
        downstream.cwd = Self.nonEmpty(body.cwd.applied(to: stored.cwd))
        downstream.url = Self.nonEmpty(body.url.applied(to: stored.url))
        if let headers = body.headers { downstream.headers = headers }
        if let flavour = body.httpTransport { downstream.httpTransport = try Self.httpTransport(flavour) }
        if let enabled = body.enabled { downstream.enabled = enabled }
        if let quarantined = body.quarantined { downstream.quarantined = quarantined }
        if let mode = body.instanceMode { downstream.instanceMode = try Self.instanceMode(mode) }
        if let idle = body.idleTimeoutSec { downstream.idleTimeoutSec = idle }
        if let call = body.callTimeoutSec { downstream.callTimeoutSec = call }
        downstream.maxConcurrentCalls = body.maxConcurrentCalls.applied(to: stored.maxConcurrentCalls)
        if let tags = body.tags { downstream.tags = tags }
        if let transport = body.transport {
            downstream.transport = try Self.transport(transport)
        } else if downstream.command == nil, downstream.url != nil {
            downstream.transport = .http
        } else if downstream.url == nil, downstream.command != nil {
            downstream.transport = .stdio
        }
        try Self.refuseNUL(downstream)
        let saved = try repository.update(downstream)
        var unchanged = stored
        unchanged.updatedAt = saved.updatedAt
        if unchanged != saved { await pool.stop(downstreamId: saved.id) }
        return try await item(saved)
    }

    /// `DELETE /downstreams/{id}[?force=true]`: deletes the server with its auth scopes and
    /// catalog. Route rules that name it or its scopes make it 409 unless `force` deletes them too.
    @Sendable func delete(_ request: Request, context: APIContext) async throws -> HTTPResponse.Status {
        let deletion = try repository.delete(context.parameters.require("id"), force: request.queryBool("force"))
        await pool.stop(downstreamId: deletion.downstream.id)
        return .noContent
    }

    func item(_ downstream: Downstream) async throws -> Item {
        Item(
            downstream: downstream, status: await pool.status(of: downstream),
            toolCount: try catalog.counts(of: .tool)[downstream.id] ?? 0)
    }

    /// A NUL ends a string for SQLite (a command of one would fail the table's checks as a 500)
    /// and for exec (`a\0b` would run `a`): the command, URL, folder, arguments and values of a
    /// server hold none.
    private static func refuseNUL(_ downstream: Downstream) throws {
        var fields = [("command", downstream.command), ("url", downstream.url), ("cwd", downstream.cwd)]
            .compactMap { field, value in value.map { (field, $0) } }
        fields += downstream.args.enumerated().map { ("args[\($0.offset)]", $0.element) }
        fields += downstream.env.sorted { $0.key < $1.key }.map { ("env.\($0.key)", $0.value) }
        fields += downstream.headers.sorted { $0.key < $1.key }.map { ("headers.\($0.key)", $0.value) }
        if let (field, _) = fields.first(where: { $0.1.unicodeScalars.contains("\0") }) {
            throw APIError.badRequest("\(field) must not contain a NUL character", field: field)
        }
    }

    private static func nonEmpty(_ value: String?) -> String? {
        value.flatMap { $0.isEmpty ? nil : $0 }
    }

    private static func transport(_ raw: String) throws -> Downstream.Transport {
        try Validate.oneOf(raw, as: Downstream.Transport.self, field: "transport")
    }

    private static func httpTransport(_ raw: String) throws -> Downstream.HTTPTransport {
        try Validate.oneOf(raw, as: Downstream.HTTPTransport.self, field: "http_transport")
    }

    private static func instanceMode(_ raw: String) throws -> Downstream.InstanceMode {
        try Validate.oneOf(
            raw == "per-session" ? "per_session" : raw, as: Downstream.InstanceMode.self,
            field: "instance_mode")
    }
}
