import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway

/// `GET /events` (also `/api/v1/events`): the engine's event feed as Server-Sent Events —
/// `servers.changed`, `config.reloaded`, `tools.indexed`, `tools.quarantined`,
/// `activity.tool_call.started|completed`, `activity.policy_decision`. Event ids are the bus's sequence numbers; `Last-Event-ID` (or
/// `?last_event_id=`) resumes after one. `?types=a,b` keeps only those types.
struct EventsController {
    let environment: ServerEnvironment

    func addRoutes(to group: RouterGroup<APIContext>, root: Router<APIContext>) {
        let handler: @Sendable (Request, APIContext) async throws -> Response = { request, _ in
            try stream(request)
        }
        group.get("events", use: handler)
        root.get("events", use: handler)
    }

    private func stream(_ request: Request) throws -> Response {
        var after: UInt64?
        if let text = ServerSentEvents.lastEventId(request) {
            guard let id = UInt64(text) else {
                throw APIError.badRequest("Last-Event-ID must be an event id from this stream", field: "last_event_id")
            }
            after = id
        }
        var types: Set<String>?
        if let list = request.uri.queryParameters["types"], !list.isEmpty {
            types = Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        let subscription = environment.engine.events.subscribe(after: after, types: types)
        return ServerSentEvents.response { sink in
            for await event in subscription {
                guard sink.send(id: String(event.id), event: event.type, data: event.data) else { return }
            }
        }
    }
}
