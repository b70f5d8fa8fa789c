import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import JunctionCore
import JunctionGateway

/// `WS /ws/proxy-events` (MCP Proxy Engine seed): the engine's event feed as the seed's events,
/// one JSON text message each, `{"type", "timestamp", "data", "id"}`:
/// - `server_connected` / `server_disconnected`: a server's processes started running / stopped
///   running (from `servers.changed`; `data` has `server_name`, `server_id`, `state`, `health`);
/// - `tool_discovered` (its tools changed) and `discovery_cycle_completed` (its catalog was
///   stored), from `tools.indexed`;
/// - `tool_call_started` / `tool_call_completed`, from `activity.tool_call.started|completed`
///   (`tool_name`, `server_name`, `call_id`; completed adds `duration_ms`, `success`, `status`).
/// The feed ends with the daemon (the socket closes). The same checks as the SSE feed apply to
/// the upgrade request: Host and Origin, and the API key as a header or `?apikey=` (browsers cannot
/// set headers on a WebSocket). A refused one is closed at once, before any event, with close
/// code 4000 + the HTTP status the API would answer (4401 no or wrong key, 4403 Host or Origin
/// refused) and the API's error code as the reason: hummingbird-websocket can only answer a
/// refused upgrade with an empty 400, which says nothing. A plain GET gets 426 (or 401, 403).
struct ProxyEventsController {
    let environment: ServerEnvironment
    let access: AccessMiddleware

    static let path = "ws/proxy-events"

    /// The engine's event types the feed is made of.
    static let sourceTypes: Set<String> = [
        EventType.serversChanged, EventType.toolsIndexed, EventType.toolCallStarted, EventType.toolCallCompleted,
    ]

    /// The plain HTTP route: a request that did not ask for the upgrade (or was refused it).
    func addRoutes(to router: Router<APIContext>) {
        router.get(RouterPath(Self.path)) { _, _ -> Response in
            throw APIError(
                .upgradeRequired, code: "upgrade_required",
                "\(Self.path) is a WebSocket: connect with a WebSocket client (Upgrade: websocket)")
        }
    }

    func addWebSocketRoutes(to router: Router<WebSocketAPIContext>) {
        let environment = environment
        let access = access
        router.ws(
            RouterPath(Self.path),
            shouldUpgrade: { _, _ in environment.shutdown.isSet ? .dontUpgrade : .upgrade([:]) },
            onUpgrade: { inbound, outbound, context in
                do {
                    _ = try await access.admit(context.request, context: context.requestContext.api)
                } catch {
                    let refusal = APIError.from(error)
                    try await outbound.close(.unknown(4000 + UInt16(refusal.status.code)), reason: refusal.code)
                    return
                }
                let subscription = environment.engine.events.subscribe(types: Self.sourceTypes)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // The client's messages are not commands: read (and drop) them until it closes.
                    group.addTask {
                        for try await _ in inbound.messages(maxSize: 1 << 16) {}
                    }
                    group.addTask {
                        var mapper = Mapper()
                        for await event in subscription {
                            for message in mapper.messages(for: event) {
                                try await outbound.write(.text(message))
                            }
                        }
                    }
                    // Either side ending ends the feed.
                    _ = try await group.next()
                    group.cancelAll()
                }
            })
    }

    /// Turns engine events into the seed's messages, remembering which servers run (a status
    /// change that leaves a server running, as a health check's, is no connection event).
    struct Mapper {
        private var running: [String: Bool] = [:]

        mutating func messages(for event: Event) -> [String] {
            guard let payload = event.payload else { return [] }
            switch payload {
            case let changed as EventPayload.ServerChanged:
                let isRunning = changed.status.state == "running"
                let was = running[changed.status.downstreamId] ?? false
                running[changed.status.downstreamId] = isRunning
                guard isRunning != was else { return [] }
                return [
                    Self.message(
                        isRunning ? "server_connected" : "server_disconnected", event,
                        [
                            "server_name": .string(changed.serverName),
                            "server_id": .string(changed.status.downstreamId),
                            "state": .string(changed.status.state), "health": .string(changed.status.health.state),
                            "error": changed.status.lastError.map(JSONValue.string) ?? .null,
                        ])
                ]
            case let indexed as EventPayload.ToolsIndexed:
                let data: [String: JSONValue] = [
                    "server_name": .string(indexed.serverName), "server_id": .string(indexed.serverId),
                    "tools_discovered": .integer(Int64(indexed.toolCount)),
                    "changed_kinds": .array(indexed.changedKinds.map { .string($0.rawValue) }),
                ]
                var messages: [String] = []
                if indexed.changedKinds.contains(.tool) {
                    messages.append(Self.message("tool_discovered", event, data))
                }
                messages.append(Self.message("discovery_cycle_completed", event, data))
                return messages
            case let started as EventPayload.ToolCallStarted:
                return [
                    Self.message(
                        "tool_call_started", event,
                        [
                            "tool_name": .string(started.toolName), "server_name": .string(started.serverName),
                            "server_tool_name": .string(started.serverToolName), "call_id": .string(started.callId),
                            "session_id": .string(started.sessionId),
                        ])
                ]
            case let record as AuditRecord:
                return [
                    Self.message(
                        "tool_call_completed", event,
                        [
                            "tool_name": .string(record.toolName),
                            "server_name": record.downstreamName.map(JSONValue.string) ?? .null,
                            "call_id": .string(record.id), "duration_ms": .integer(Int64(record.latencyMs.rounded())),
                            "success": .bool(record.status == .ok), "status": .string(record.status.rawValue),
                            "error": record.errorMessage.map(JSONValue.string) ?? .null,
                        ])
                ]
            default:
                return []
            }
        }

        static func message(_ type: String, _ event: Event, _ data: [String: JSONValue]) -> String {
            let message: [String: JSONValue] = [
                "type": .string(type), "timestamp": .string(event.timestamp), "data": .object(data),
                "id": .integer(Int64(event.id)),
            ]
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            return (try? encoder.encode(JSONValue.object(message))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        }
    }
}

/// The context of WebSocket upgrade requests: the API's own (trusted peer, port), for the same
/// access checks.
struct WebSocketAPIContext: Hummingbird.RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let api: APIContext

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        webSocket = .init()
        api = APIContext(source: source)
    }
}
