import Foundation
import HTTPTypes
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// `GET /tools/proxy`, `GET /tools/proxy/{tool_name}` and `POST /tools/call`.
///
/// Tools are those of the stored catalog (as last discovered), named as MCP clients see them
/// (`ns__tool`); `enabled` says whether the tool may serve calls: its server enabled and not
/// quarantined, and the tool not quarantined for a changed definition (tool pinning).
/// A REST call is an MCP call (``RESTToolCall``): routed from the workspace asked for (`workspace`,
/// `?workspace=` or `X-Junction-Workspace`; none routes as outside every workspace), denied,
/// approval-gated, cached and audited like one.
extension ProxyEngineController {
    /// One tool of the stored catalog with its server.
    struct ProxyToolRecord: Sendable {
        var name: String
        var entry: CatalogEntry
        var facts: SeedServerFacts
        /// Quarantined: its definition changed since it was approved.
        var changed = false

        var enabled: Bool { facts.usable && !changed }
    }

    struct ProxyMetadata: Encodable, Sendable {
        var createdAt: Double
        var serverType: String
        var proxyVersion: String
        var lastCalled: Double?
        var callCount: Int?

        enum CodingKeys: String, CodingKey {
            case createdAt = "created_at"
            case serverType = "server_type"
            case proxyVersion = "proxy_version"
            case lastCalled = "last_called"
            case callCount = "call_count"
        }
    }

    struct ProxyTool: Encodable, Sendable {
        var name: String
        @Nullable var description: String? = nil
        var serverName: String
        var originalName: String
        var enabled: Bool
        var proxyMetadata: ProxyMetadata
        @Nullable var schema: JSONValue? = nil
        var parameterInfo: [String: JSONValue]?

        enum CodingKeys: String, CodingKey {
            case name, description, enabled, schema
            case serverName = "server_name"
            case originalName = "original_name"
            case proxyMetadata = "proxy_metadata"
            case parameterInfo = "parameter_info"
        }
    }

    struct ToolList: Encodable, Sendable {
        var tools: [ProxyTool]
        var totalCount: Int
        var serversRepresented: Int

        enum CodingKeys: String, CodingKey {
            case tools
            case totalCount = "total_count"
            case serversRepresented = "servers_represented"
        }
    }

    struct CallRequest: Decodable, Sendable {
        var name: String
        var arguments: JSONValue?
        var timeout: Double?
        var workspace: String?
    }

    struct CallMetadata: Encodable, Sendable {
        struct Proxy: Encodable, Sendable {
            var proxyVersion: String
            var serverType: String
            var originalTool: String

            enum CodingKeys: String, CodingKey {
                case proxyVersion = "proxy_version"
                case serverType = "server_type"
                case originalTool = "original_tool"
            }
        }

        var toolName: String
        var serverName: String
        var executionTimeMs: Double
        var cacheHit: Bool
        @Nullable var approvalId: String? = nil
        var proxyMetadata: Proxy

        enum CodingKeys: String, CodingKey {
            case toolName = "tool_name"
            case serverName = "server_name"
            case executionTimeMs = "execution_time_ms"
            case cacheHit = "cache_hit"
            case approvalId = "approval_id"
            case proxyMetadata = "proxy_metadata"
        }

    }

    struct CallAnswer: Encodable, Sendable {
        /// The JSON-RPC error a server answered the call with (then `result` is null).
        struct Failure: Encodable, Sendable {
            var code: Int
            var message: String
        }

        var success: Bool
        var result: JSONValue
        var error: Failure?
        var metadata: CallMetadata
    }

    struct CallPending: Encodable, Sendable {
        var success = false
        var status = "pending_approval"
        var approvalId: String
        var message: String
        var metadata: CallMetadata

        enum CodingKeys: String, CodingKey {
            case success, status, message, metadata
            case approvalId = "approval_id"
        }
    }

    func addToolRoutes(to group: RouterGroup<APIContext>) {
        group.get("tools/proxy") { request, _ in try await APIResponse.json(listTools(request)) }
        group.get("tools/proxy/:tool_name") { _, context in
            try await APIResponse.json(tool(context.parameters.require("tool_name")))
        }
        group.post("tools/call") { request, context in try await call(request, context: context) }
    }

    /// Every tool of the stored catalog, by server then name.
    func proxyTools() async throws -> [ProxyToolRecord] {
        let facts = Dictionary(
            try await SeedServerFacts.all(environment).map { ($0.downstream.id, $0) }, uniquingKeysWith: { a, _ in a })
        let changed = Set(try ToolPinRepository(environment.database).changed().map { [$0.downstreamId, $0.name] })
        return try CatalogRepository(environment.database).list(kind: .tool).compactMap { entry in
            guard let server = facts[entry.downstreamId] else { return nil }
            return ProxyToolRecord(
                name: ToolNaming.visibleName(namespace: server.downstream.namespace, name: entry.name), entry: entry,
                facts: server, changed: changed.contains([entry.downstreamId, entry.name]))
        }
    }

    func listTools(_ request: Request) async throws -> ToolList {
        let query = request.uri.queryParameters
        let server = query["server"].map(String.init)
        let prefix = query["prefix"].map(String.init)
        let enabled: Bool? = try query["enabled"] == nil ? nil : request.queryBool("enabled")
        let tools = try await proxyTools().filter { tool in
            (server.map { tool.facts.downstream.name == $0 || tool.facts.downstream.id == $0 } ?? true)
                && (prefix.map { tool.name.hasPrefix($0) || tool.entry.name.hasPrefix($0) } ?? true)
                && (enabled.map { tool.enabled == $0 } ?? true)
        }
        return ToolList(
            tools: tools.map { describe($0, detailed: false) }, totalCount: tools.count,
            serversRepresented: Set(tools.map(\.facts.downstream.id)).count)
    }

    func tool(_ name: String) async throws -> ProxyTool {
        describe(try await find(name), detailed: true)
    }

    private func find(_ name: String) async throws -> ProxyToolRecord {
        guard let tool = try await proxyTools().first(where: { $0.name == name }) else { throw Self.toolNotFound(name) }
        return tool
    }

    static func toolNotFound(_ name: String) -> APIError {
        APIError(
            .notFound, code: "TOOL_NOT_FOUND",
            "proxy tool '\(name)' not found: tools are named namespace__tool (GET /tools/proxy lists them)")
    }

    private func describe(_ tool: ProxyToolRecord, detailed: Bool) -> ProxyTool {
        let schema = tool.entry.inputSchema.flatMap(Self.jsonValue)
        var metadata = ProxyMetadata(
            createdAt: tool.entry.firstSeen.timeIntervalSince1970, serverType: tool.facts.proxyType,
            proxyVersion: Self.proxyVersion)
        if detailed {
            let record = activity.tool(tool.name)
            metadata.lastCalled = record.lastCalled?.timeIntervalSince1970
            metadata.callCount = record.calls
        }
        return ProxyTool(
            name: tool.name, description: tool.entry.description, serverName: tool.facts.downstream.name,
            originalName: tool.entry.name, enabled: tool.enabled, proxyMetadata: metadata, schema: schema,
            parameterInfo: detailed ? Self.parameterInfo(schema) : nil)
    }

    /// Each parameter of an input schema: its type (in the seed's Python words), whether it is
    /// required, and its description, default and choices when the schema gives them.
    static func parameterInfo(_ schema: JSONValue?) -> [String: JSONValue] {
        guard case .object(let members)? = schema, case .object(let properties)? = members["properties"] else {
            return [:]
        }
        var required: Set<String> = []
        if case .array(let names)? = members["required"] { required = Set(names.compactMap(\.stringValue)) }
        var info: [String: JSONValue] = [:]
        for (name, property) in properties {
            guard case .object(let fields) = property else { continue }
            var entry: [String: JSONValue] = ["required": .bool(required.contains(name))]
            let types = [
                "string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list",
                "object": "dict", "null": "None",
            ]
            entry["type"] = .string(fields["type"]?.stringValue.map { types[$0] ?? $0 } ?? "any")
            if let description = fields["description"] { entry["description"] = description }
            if let value = fields["default"] { entry["default"] = value }
            if let choices = fields["enum"] { entry["choices"] = choices }
            info[name] = .object(entry)
        }
        return info
    }

    static func jsonValue(_ text: String) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    // MARK: - Calls

    func call(_ request: Request, context: APIContext) async throws -> Response {
        let body = try await request.decodeJSON(CallRequest.self, context: context)
        var arguments: RawJSON?
        switch body.arguments {
        case nil, .null?:
            break
        case .object?:
            arguments = try body.arguments.map { try RawJSON(validating: Array(APICoding.encoder.encode($0))) }
        default:
            throw APIError(.badRequest, code: "INVALID_PARAMETERS", "arguments must be an object", field: "arguments")
        }
        let wait = try approvalWait(body.timeout, request: request)
        let (target, pinned) = try target(body.workspace, request: request)
        // What routing decides for the call, as its session will: a denial is a 403 whether the
        // session answers it as a JSON-RPC error or as an error result.
        let denied = decide(body.name, target: target).decision == .deny
        // A server never discovered has no stored catalog yet: the call itself starts it.
        let known = try await proxyTools().first { $0.name == body.name }
        let client = context.identity?.name ?? "rest-api"
        let started = ContinuousClock.now
        let outcome = await RESTToolCall.run(
            engine: environment.engine, client: client, target: target, pinned: pinned, name: body.name,
            arguments: arguments, approvalWait: wait)
        let elapsed = Self.milliseconds(ContinuousClock.now - started)
        var found = known
        if found == nil { found = try await proxyTools().first { $0.name == body.name } }
        guard let tool = found else {
            if case .answered(let message, _) = outcome, let refusal = Self.callError(message) { throw refusal }
            throw Self.toolNotFound(body.name)
        }
        var metadata = CallMetadata(
            toolName: tool.name, serverName: tool.facts.downstream.name, executionTimeMs: elapsed, cacheHit: false,
            proxyMetadata: .init(
                proxyVersion: Self.proxyVersion, serverType: tool.facts.proxyType, originalTool: tool.entry.name))
        switch outcome {
        case .pending(let approvalId):
            metadata.approvalId = approvalId
            return try APIResponse.json(
                CallPending(
                    approvalId: approvalId,
                    message: "the call waits for approval \(approvalId): resolve it with "
                        + "POST /api/v1/approvals/\(approvalId)/resolve; its outcome is audited",
                    metadata: metadata),
                status: .accepted)
        case .answered(let message, let approvalId):
            metadata.approvalId = approvalId
            if denied, let refusal = Self.denial(message) { throw refusal }
            guard message.kind == .response, let result = message.result else {
                if let refusal = Self.callError(message) { throw refusal }
                let failure = CallAnswer.Failure(
                    code: message.errorCode ?? JSONRPCErrorCode.internalError,
                    message: message.errorMessage ?? "the call failed")
                return try APIResponse.json(
                    CallAnswer(success: false, result: .null, error: failure, metadata: metadata))
            }
            metadata.cacheHit = result["_meta"]?["junction/cache"]?["hit"]?.boolValue == true
            let value = (try? JSONDecoder().decode(JSONValue.self, from: Data(result.bytes))) ?? .null
            return try APIResponse.json(
                CallAnswer(success: result["isError"]?.boolValue != true, result: value, metadata: metadata))
        }
    }

    /// How long to wait for an approval: `timeout` (seconds, body or query), 30 by default.
    private func approvalWait(_ fromBody: Double?, request: Request) throws -> Duration {
        var seconds = fromBody ?? 30
        if fromBody == nil, let text = request.uri.queryParameters["timeout"] {
            guard let parsed = Double(text) else {
                throw APIError(.badRequest, code: "INVALID_PARAMETERS", "timeout must be a number", field: "timeout")
            }
            seconds = parsed
        }
        guard seconds.isFinite, (0...3600).contains(seconds) else {
            throw APIError(
                .badRequest, code: "INVALID_PARAMETERS", "timeout must be from 0 to 3600 seconds", field: "timeout")
        }
        return .milliseconds(Int64(seconds * 1000))
    }

    /// The workspace to route from: `workspace` in the body, `?workspace=` or
    /// `X-Junction-Workspace`; none routes as a client outside every workspace.
    private func target(_ fromBody: String?, request: Request) throws -> (ClientTarget, Bool) {
        let asked =
            fromBody ?? request.uri.queryParameters["workspace"].map(String.init)
            ?? request.headers[.xJunctionWorkspace]
        guard let asked, !asked.isEmpty else { return (.folder("/"), false) }
        guard environment.engine.workspace(named: asked) != nil else {
            throw APIError(
                .notFound, code: "WORKSPACE_NOT_FOUND",
                "no workspace '\(asked)'. List them with junction workspace list",
                field: "workspace")
        }
        return (.workspace(asked), true)
    }

    /// The routing decision for a tool name from a target, as a session's `decide` makes it.
    private func decide(_ name: String, target: ClientTarget) -> Decision {
        environment.engine.route(tool: name, for: target)
    }

    /// The 403 for a call routing denied: its answer is an error, or an error result saying why.
    static func denial(_ message: JSONRPCMessage) -> APIError? {
        var text = message.errorMessage
        if message.kind == .errorResponse, message.errorCode != JSONRPCErrorCode.denied { return nil }
        if let result = message.result {
            guard result["isError"]?.boolValue == true else { return nil }
            text = result["content"]?.elements?.first?["text"]?.stringValue
        }
        return APIError(.forbidden, code: "POLICY_DENIED", text ?? "Junction denied the call")
    }

    /// Junction's refusal of the call (denied, unknown tool, malformed, timed out, its server
    /// cannot start) in the seed's words and statuses; nil for an error the server itself answered,
    /// which is a `success: false` answer. A server that cannot start is a 409, as on
    /// `/api/v1/downstreams/{id}/discover`.
    static func callError(_ message: JSONRPCMessage) -> APIError? {
        guard message.kind == .errorResponse else { return nil }
        let text = message.errorMessage ?? "the call failed"
        switch message.errorCode {
        case JSONRPCErrorCode.denied:
            return APIError(.forbidden, code: "POLICY_DENIED", text)
        case JSONRPCErrorCode.invalidParams where text.hasPrefix("Unknown tool"):
            return APIError(.notFound, code: "TOOL_NOT_FOUND", text)
        case JSONRPCErrorCode.invalidParams:
            return APIError(.badRequest, code: "INVALID_PARAMETERS", text)
        case JSONRPCErrorCode.timeout:
            return APIError(.requestTimeout, code: "TIMEOUT_ERROR", text)
        case JSONRPCErrorCode.downstreamUnavailable:
            return APIError(.conflict, code: "SERVER_UNAVAILABLE", text)
        default:
            return nil
        }
    }
}
