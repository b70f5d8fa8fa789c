import Foundation
import HTTPTypes
import Hummingbird
import JunctionCore
import JunctionGateway
import NIOCore

/// MCP over HTTP on the daemon: `/mcp` as the streamable HTTP transport (2025-03-26 to
/// 2025-11-25: `Mcp-Session-Id`, POST answered as JSON or an SSE stream, `GET` for the server's
/// own messages with `Last-Event-ID` resumption, `DELETE` to end) and as 2026-07-28 stateless
/// HTTP (no session); `POST /mcp?server_id=` and `POST /rpc` (`X-Server-ID`) for one server under
/// its tools' own names. Every session is one more client connection of the engine.
struct MCPController {
    let environment: ServerEnvironment

    var registry: MCPSessionRegistry { environment.mcp }
    var engine: GatewayEngine { environment.engine }

    func addRoutes(to router: Router<APIContext>) {
        router.post("mcp") { request, context in try await post(request, context: context, rpc: false) }
        router.get("mcp") { request, context in try get(request, context: context) }
        router.delete("mcp") { request, context in try delete(request, context: context) }
        router.post("rpc") { request, context in try await post(request, context: context, rpc: true) }
    }

    // MARK: - POST

    private func post(_ request: Request, context: APIContext, rpc: Bool) async throws -> Response {
        let identity = context.identity ?? .admin
        let headerVersion = try Self.protocolVersion(request)
        let accepts = try Self.accepts(request, post: true)
        if let contentType = request.headers[.contentType], !Request.isJSON(contentType) {
            throw APIError(
                .unsupportedMediaType, code: "unsupported_media_type",
                "send the JSON-RPC message as application/json (got \(contentType))")
        }
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        let bytes = Array(buffer.readableBytesView)
        let sessionId = request.headers[.mcpSessionId]
        let session = try sessionId.map { id -> MCPHTTPSession in
            guard let session = registry.session(id: id, identity: identity) else {
                throw Self.sessionNotFound(id)
            }
            return session
        }
        if Self.isArray(bytes) {
            return try await batch(bytes, session: session, identity: identity)
        }
        let message: JSONRPCMessage
        switch JSONRPCMessage.parse(bytes) {
        case .failure(let failure):
            return Self.rpcError(failure.response, status: .badRequest)
        case .success(let parsed):
            message = parsed
        }
        if let session {
            return try await exchange(message, session: session, identity: identity, accepts: accepts)
        }
        let serverName = try rpc ? request.headers[.xServerID] : Self.serverName(request, body: bytes)
        if rpc, serverName == nil {
            throw APIError.badRequest("POST /rpc needs the X-Server-ID header naming a server", field: "X-Server-ID")
        }
        let (target, pinned) = try target(request, identity: identity)
        let only = try serverName.map(downstreamId(named:))
        if message.kind == .request, message.method == "initialize", !rpc {
            let session: MCPHTTPSession
            do {
                session = try registry.open(
                    engine: engine, identity: identity, target: target, pinned: pinned, onlyDownstream: only)
            } catch {
                throw Self.apiError(error)
            }
            var response = try await exchange(message, session: session, identity: identity, accepts: accepts)
            response.headers[.mcpSessionId] = session.id
            return response
        }
        let modern =
            headerVersion.map { MCPProtocol.modernVersions.contains($0) } == true || Self.carriesModernMeta(message)
        guard modern || only != nil else {
            throw APIError(
                .badRequest, code: "session_required",
                "this request needs an Mcp-Session-Id header: send initialize first (its answer carries the id), "
                    + "or speak MCP \(MCPProtocol.latestModern), which needs no session")
        }
        let shared: MCPHTTPSession
        do {
            shared = try registry.shared(
                engine: engine, identity: identity, target: target, pinned: pinned, onlyDownstream: only)
        } catch {
            throw Self.apiError(error)
        }
        return try await exchange(message, session: shared, identity: identity, accepts: rpc ? .json : accepts)
    }

    /// One message into a session: a request is answered (as JSON or an SSE stream), anything
    /// else is accepted with 202.
    private func exchange(
        _ message: JSONRPCMessage, session: MCPHTTPSession, identity: ClientIdentity, accepts: Accepts
    ) async throws -> Response {
        guard message.kind == .request else {
            session.send(message.kind == .notification ? session.mailbox.inbound(message) : message)
            return Response(status: .accepted)
        }
        // MCP 2026-07-28: closing a request's stream cancels it, so its answer is a stream from the
        // start (heartbeats every second notice a reader gone); subscriptions/listen stays open.
        let modern = Self.carriesModernMeta(message)
        let stream = try register(
            message, session: session, identity: identity, canStream: accepts.stream, cancelOnDetach: modern)
        if modern && accepts.stream {
            return Self.sse(first: nil, rest: stream, sessionId: nil, heartbeat: .seconds(1))
        }
        // The first message decides the shape: the answer alone is JSON; anything before it makes
        // the answer an SSE stream (when the client accepts one).
        var first: MCPMailbox.Outgoing?
        for await outgoing in stream {
            first = outgoing
            break
        }
        guard let first else {
            // Cancelled by the client (notifications/cancelled): no answer is due.
            return Response(status: .accepted)
        }
        if first.final && first.eventId == nil {
            if session.protocolVersion == nil, message.method == "initialize" {
                session.protocolVersion =
                    (try? RawJSON(validating: first.bytes))?["result"]?["protocolVersion"]?
                    .stringValue
            }
            return Self.jsonBody(first.bytes)
        }
        return Self.sse(first: first, rest: first.final ? nil : stream, sessionId: nil)
    }

    /// Registers a request with the session's mailbox and hands it to the engine.
    private func register(
        _ message: JSONRPCMessage, session: MCPHTTPSession, identity: ClientIdentity, canStream: Bool,
        cancelOnDetach: Bool = false
    ) throws -> AsyncStream<MCPMailbox.Outgoing> {
        do {
            try registry.acquireCall(identity)
        } catch {
            throw Self.apiError(error)
        }
        let registration: MCPMailbox.Registration
        do {
            registration = try session.mailbox.register(
                message, canStream: canStream, cancelOnDetach: cancelOnDetach
            ) { [registry] in
                registry.releaseCall(identity)
            }
        } catch {
            registry.releaseCall(identity)
            switch error {
            case .duplicate:
                throw APIError(
                    .conflict, code: "duplicate_request_id",
                    "request id \(message.id?.description ?? "null") is still being answered in this session")
            case .closed:
                throw APIError(.notFound, code: "session_not_found", "the MCP session has ended")
            }
        }
        session.send(registration.message)
        return registration.stream
    }

    /// A JSON-RPC batch: MCP 2025-03-26 sessions only (later versions removed batching). The
    /// answers come back as one JSON array; a batch of notifications and responses gets 202.
    private func batch(_ bytes: [UInt8], session: MCPHTTPSession?, identity: ClientIdentity) async throws -> Response {
        guard let session, session.protocolVersion == "2025-03-26" else {
            return Self.rpcError(
                .errorResponse(
                    id: nil, code: JSONRPCErrorCode.invalidRequest,
                    message: "Invalid Request: JSON-RPC batches are part of MCP 2025-03-26 only; "
                        + "send one message per POST"),
                status: .badRequest)
        }
        guard let elements = (try? RawJSON(validating: bytes))?.elements, !elements.isEmpty else {
            return Self.rpcError(
                .errorResponse(id: nil, code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: empty batch"),
                status: .badRequest)
        }
        var streams: [AsyncStream<MCPMailbox.Outgoing>] = []
        var answers: [RawJSON] = []
        for element in elements {
            switch JSONRPCMessage.parse(element.bytes) {
            case .failure(let failure):
                answers.append(RawJSON(trusted: failure.response.encoded()))
            case .success(let message) where message.kind == .request:
                streams.append(try register(message, session: session, identity: identity, canStream: false))
            case .success(let message):
                session.send(message.kind == .notification ? session.mailbox.inbound(message) : message)
            }
        }
        for stream in streams {
            for await outgoing in stream where outgoing.final {
                answers.append(RawJSON(trusted: outgoing.bytes))
            }
        }
        guard !answers.isEmpty else { return Response(status: .accepted) }
        return Self.jsonBody(RawJSON(array: answers).bytes)
    }

    // MARK: - GET and DELETE

    private func get(_ request: Request, context: APIContext) throws -> Response {
        _ = try Self.protocolVersion(request)
        let accepts = try Self.accepts(request, post: false)
        guard accepts.stream else {
            throw APIError(
                .notAcceptable, code: "not_acceptable",
                "GET /mcp opens the server's event stream: send Accept: text/event-stream")
        }
        let session = try existingSession(request, identity: context.identity ?? .admin)
        let stream = session.mailbox.openStream(lastEventId: ServerSentEvents.lastEventId(request))
        return Self.sse(first: nil, rest: stream, sessionId: session.id)
    }

    private func delete(_ request: Request, context: APIContext) throws -> Response {
        _ = try Self.protocolVersion(request)
        let identity = context.identity ?? .admin
        let session = try existingSession(request, identity: identity)
        registry.end(id: session.id, identity: identity)
        return Response(status: .noContent)
    }

    private func existingSession(_ request: Request, identity: ClientIdentity) throws -> MCPHTTPSession {
        guard let id = request.headers[.mcpSessionId] else {
            throw APIError(.badRequest, code: "session_required", "send the Mcp-Session-Id header of your session")
        }
        guard let session = registry.session(id: id, identity: identity) else {
            throw Self.sessionNotFound(id)
        }
        return session
    }

    // MARK: - Where a session routes from

    /// The workspace: the key's own, else `?workspace=` or `X-Junction-Workspace`, else none
    /// (the first root the client offers, else the global scope).
    private func target(_ request: Request, identity: ClientIdentity) throws -> (ClientTarget, Bool) {
        let asked =
            request.uri.queryParameters["workspace"].map(String.init) ?? request.headers[.xJunctionWorkspace]
        if let bound = identity.workspace {
            if let asked, asked != bound {
                throw APIError(
                    .forbidden, code: "forbidden_workspace",
                    "this key is bound to workspace '\(bound)' and cannot use '\(asked)'")
            }
            return (.workspace(bound), true)
        }
        guard let asked, !asked.isEmpty else { return (.folder("/"), false) }
        guard engine.workspace(named: asked) != nil else {
            throw APIError(
                .notFound, code: "workspace_not_found",
                "no workspace '\(asked)'. List them with junction workspace list")
        }
        return (.workspace(asked), true)
    }

    private func downstreamId(named name: String) throws -> String {
        guard let downstream = engine.downstream(named: name)
        else {
            throw APIError(
                .notFound, code: "server_not_found", "no server '\(name)'. List them with junction server list")
        }
        return downstream.id
    }

    /// `?server_id=`, `X-Server-ID`, or the Open MCP Gateway's `server_id` member of the body.
    private static func serverName(_ request: Request, body: [UInt8]) throws -> String? {
        if let query = request.uri.queryParameters["server_id"] { return String(query) }
        if let header = request.headers[.xServerID] { return header }
        guard let member = (try? RawJSON(validating: body))?["server_id"] else { return nil }
        guard let name = member.stringValue else {
            throw APIError.badRequest("server_id must be a server's name", field: "server_id")
        }
        return name
    }

    // MARK: - Headers

    struct Accepts {
        var json: Bool
        var stream: Bool

        static let json = Accepts(json: true, stream: false)
    }

    /// What the client takes: a POST must accept JSON or SSE (a missing Accept means JSON).
    static func accepts(_ request: Request, post: Bool) throws -> Accepts {
        let values = request.headers[values: .accept]
        guard !values.isEmpty else { return Accepts(json: true, stream: false) }
        var accepts = Accepts(json: false, stream: false)
        for value in values {
            for part in value.split(separator: ",") {
                let type =
                    part.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
                switch type {
                case "application/json", "application/*", "*/*": accepts.json = true
                case "text/event-stream": accepts.stream = true
                default: break
                }
            }
        }
        if post, !accepts.json, !accepts.stream {
            throw APIError(
                .notAcceptable, code: "not_acceptable",
                "POST /mcp answers application/json or text/event-stream: accept one of them")
        }
        return accepts
    }

    /// The `MCP-Protocol-Version` header, refused (400) when Junction does not speak it.
    static func protocolVersion(_ request: Request) throws -> String? {
        guard let version = request.headers[.mcpProtocolVersion] else { return nil }
        guard MCPProtocol.supportedVersions.contains(version) else {
            throw APIError(
                .badRequest, code: "unsupported_protocol_version",
                "MCP-Protocol-Version \(version) is not supported; Junction speaks "
                    + MCPProtocol.supportedVersions.joined(separator: ", "))
        }
        return version
    }

    private static func carriesModernMeta(_ message: JSONRPCMessage) -> Bool {
        guard let version = message.params?["_meta"]?[MCPProtocol.Meta.protocolVersion]?.stringValue else {
            return false
        }
        return MCPProtocol.modernVersions.contains(version)
    }

    private static func isArray(_ bytes: [UInt8]) -> Bool {
        bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 } == UInt8(ascii: "[")
    }

    // MARK: - Responses

    static func jsonBody(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func rpcError(_ message: JSONRPCMessage, status: HTTPResponse.Status) -> Response {
        jsonBody(message.encoded(), status: status)
    }

    /// An SSE stream of MCP messages (`event: message`), ending after the answer it carries.
    static func sse(
        first: MCPMailbox.Outgoing?, rest: AsyncStream<MCPMailbox.Outgoing>?, sessionId: String?,
        heartbeat: Duration = .seconds(15)
    ) -> Response {
        var response = ServerSentEvents.response(heartbeat: heartbeat) { sink in
            if let first {
                guard sink.send(id: first.eventId, event: "message", data: first.bytes), !first.final else { return }
            }
            guard let rest else { return }
            // The stream's reader before this one stopped at the first message; one reader at a
            // time reads on.
            for await outgoing in rest {
                guard sink.send(id: outgoing.eventId, event: "message", data: outgoing.bytes), !outgoing.final else {
                    return
                }
            }
        }
        if let sessionId { response.headers[.mcpSessionId] = sessionId }
        return response
    }

    static func sessionNotFound(_ id: String) -> APIError {
        APIError(
            .notFound, code: "session_not_found",
            "no MCP session \(id) (it ended or expired): send initialize again without Mcp-Session-Id")
    }

    static func apiError(_ refusal: MCPSessionRegistry.Refusal) -> APIError {
        switch refusal {
        case .tooManySessions(let limit):
            var error = APIError(
                .tooManyRequests, code: "too_many_sessions",
                "this key has \(limit) MCP sessions open (setting mcp_max_sessions_per_key): "
                    + "end one (DELETE /mcp) or let it expire")
            error.retryAfter = 5
            return error
        case .tooManyCalls(let limit):
            var error = APIError(
                .tooManyRequests, code: "too_many_calls",
                "this key has \(limit) requests in flight (setting mcp_max_calls_per_key): retry shortly")
            error.retryAfter = 1
            return error
        case .closed:
            return APIError(.serviceUnavailable, code: "shutting_down", "Junction is shutting down")
        }
    }
}

extension HTTPField.Name {
    static let mcpSessionId = HTTPField.Name("Mcp-Session-Id") ?? .authorization
    static let mcpProtocolVersion = HTTPField.Name("MCP-Protocol-Version") ?? .authorization
    static let xServerID = HTTPField.Name("X-Server-ID") ?? .authorization
    static let xJunctionWorkspace = HTTPField.Name("X-Junction-Workspace") ?? .authorization
}
