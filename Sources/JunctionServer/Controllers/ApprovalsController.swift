import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// Parked calls: `GET /api/v1/approvals?status=` (pending by default, `all` for every status),
/// `GET /api/v1/approvals/{id}`, `POST /api/v1/approvals/{id}/resolve` and
/// `GET /api/v1/approvals/stream` (SSE: the pending ones first as `approval.pending`, then
/// `approval.requested` and `approval.resolved` as they happen).
struct ApprovalsController {
    let environment: ServerEnvironment

    struct ResolveRequest: Decodable {
        var approved: Bool
        var resolution: String?
        var remember: Approval.Remember?
        /// Who decided (shown in the approval); the API key's holder when absent.
        var resolvedBy: String?

        enum CodingKeys: String, CodingKey {
            case approved, resolution, remember
            case resolvedBy = "resolved_by"
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("approvals") { request, _ -> Response in
            let text = request.uri.queryParameters["status"].map(String.init) ?? "pending"
            var status: Approval.Status?
            if text != "all" {
                guard let parsed = Approval.Status(rawValue: text) else {
                    let known = (Approval.Status.allCases.map(\.rawValue) + ["all"]).joined(separator: ", ")
                    throw APIError.badRequest("status must be one of \(known)", field: "status")
                }
                status = parsed
            }
            let limit = try request.queryInt("limit", default: 100, in: 1...1000)
            let offset = try request.queryInt("offset", default: 0, in: 0...Int(Int32.max))
            let approvals = try ApprovalRepository(environment.database).list(
                status: status, limit: limit, offset: offset)
            return try APIResponse.json(approvals)
        }
        group.get("approvals/stream") { _, _ -> Response in
            stream()
        }
        group.get("approvals/{id}") { _, context -> Response in
            try APIResponse.json(try ApprovalRepository(environment.database).get(context.parameters.require("id")))
        }
        group.post("approvals/{id}/resolve") { request, context -> Response in
            let id = try context.parameters.require("id")
            let body = try await request.decodeJSON(ResolveRequest.self, context: context)
            guard let queue = environment.approvals else {
                throw APIError(.serviceUnavailable, code: "unavailable", "no approval queue runs here")
            }
            do {
                let resolved = try queue.resolve(
                    id, approved: body.approved, note: body.resolution, remember: body.remember ?? .none,
                    by: body.resolvedBy ?? (context.trusted ? "local user" : "api"))
                if resolved.rule != nil {
                    // The next call must see the new rule, not wait for the change watcher.
                    _ = try? environment.engine.reloadConfiguration()
                }
                return try APIResponse.json(resolved)
            } catch let conflict as ApprovalQueue.Conflict {
                let details = (try? APICoding.encoder.encode(conflict.current))
                    .flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) }
                throw APIError(
                    .conflict, code: "already_resolved",
                    "approval \(id) is already \(conflict.current.status.rawValue)", details: details)
            }
        }
    }

    private func stream() -> Response {
        let events = environment.engine.events
        let subscription = events.subscribe(types: [EventType.approvalRequested, EventType.approvalResolved])
        let repository = ApprovalRepository(environment.database)
        return ServerSentEvents.response { sink in
            for approval in (try? repository.list(status: .pending, limit: 1000)) ?? [] {
                guard let data = try? APICoding.encoder.encode(approval) else { continue }
                guard sink.send(id: nil, event: "approval.pending", data: data) else { return }
            }
            for await event in subscription {
                guard sink.send(id: String(event.id), event: event.type, data: event.data) else { return }
            }
        }
    }
}
