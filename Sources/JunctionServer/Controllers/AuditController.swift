import Foundation
import Hummingbird
import JunctionCore
import JunctionGateway
import JunctionStore

/// The audit trail: `GET /api/v1/audit` (filters and pages, newest first), `GET
/// /api/v1/audit/{id}`, `GET /api/v1/audit/export?format=jsonl|csv` (the filtered records as a
/// download), and `GET /api/v1/audit/stream` (SSE of records as they are written; ids are audit
/// record ids, and `Last-Event-ID` resumes from the database in the order records were written,
/// so a slow call that finishes late is not skipped).
struct AuditController {
    let environment: ServerEnvironment

    struct Page: Encodable {
        var records: [AuditRecord]
        var total: Int
        var limit: Int
        var offset: Int
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("audit") { request, _ -> Response in
            let query = try Self.query(request)
            let repository = AuditRepository(environment.database)
            let records = try repository.query(query)
            let total = try repository.count(query)
            return try APIResponse.json(
                Page(records: records, total: total, limit: query.effectiveLimit, offset: query.offset))
        }
        group.get("audit/stream") { request, _ -> Response in
            try stream(request)
        }
        group.get("audit/export") { request, _ -> Response in
            try export(request)
        }
        group.get("audit/{id}") { _, context -> Response in
            let id = try context.parameters.require("id")
            guard let record = try AuditRepository(environment.database).find(id) else {
                throw APIError.notFound("audit record '\(id)' not found")
            }
            return try APIResponse.json(record)
        }
    }

    /// The query parameters of the list and export: session_id, workspace_id, server_id,
    /// tool_name, status, after, before (ISO 8601), limit, offset.
    static func query(_ request: Request, maximumLimit: Int = AuditQuery.maximumLimit) throws -> AuditQuery {
        func text(_ name: String) -> String? { queryText(request, name) }
        func date(_ name: String) throws -> Date? { try queryDate(request, name) }
        var status: AuditRecord.Status?
        if let value = text("status") {
            guard let parsed = AuditRecord.Status(rawValue: value) else {
                throw APIError.badRequest("status '\(value)' is not an audit status", field: "status")
            }
            status = parsed
        }
        return AuditQuery(
            sessionId: text("session_id"), workspaceId: text("workspace_id"), downstreamId: text("server_id"),
            toolName: text("tool_name"), status: status, after: try date("after"), before: try date("before"),
            limit: try request.queryInt("limit", default: AuditQuery.defaultLimit, in: 1...maximumLimit),
            offset: try request.queryInt("offset", default: 0, in: 0...Int(Int32.max)))
    }

    /// A query parameter's value; nil when absent or empty.
    static func queryText(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[name[...]].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A query parameter as an ISO 8601 (RFC 3339) time, with or without fractional seconds.
    static func queryDate(_ request: Request, _ name: String) throws -> Date? {
        guard let value = queryText(request, name) else { return nil }
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        guard let date = (try? Date(value, strategy: .iso8601)) ?? (try? Date(value, strategy: withFraction)) else {
            throw APIError.badRequest("\(name) must be an ISO 8601 time, e.g. 2026-11-22T08:00:00Z", field: name)
        }
        return date
    }

    private func export(_ request: Request) throws -> Response {
        let format = request.uri.queryParameters["format"].map(String.init) ?? "jsonl"
        guard format == "jsonl" || format == "csv" else {
            throw APIError.badRequest("format must be jsonl or csv", field: "format")
        }
        let query = try Self.query(request, maximumLimit: AuditExport.maximumRecords)
        let limit = request.uri.queryParameters["limit"] == nil ? AuditExport.maximumRecords : query.limit
        let records = try AuditRepository(environment.database).export(query, limit: limit)
        var headers = HTTPFields()
        let body: String
        if format == "csv" {
            headers[.contentType] = "text/csv; charset=utf-8"
            body = AuditExport.csv(records)
        } else {
            headers[.contentType] = "application/x-ndjson; charset=utf-8"
            body = AuditExport.jsonLines(records)
        }
        headers[.contentDisposition] = "attachment; filename=\"junction-audit.\(format)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private func stream(_ request: Request) throws -> Response {
        let resumeAfter = ServerSentEvents.lastEventId(request)
        if let resumeAfter, !ULID.isValid(resumeAfter) {
            throw APIError.badRequest("Last-Event-ID must be an audit record id", field: "last_event_id")
        }
        // Subscribe before reading the database, so nothing written in between is missed;
        // records already replayed are skipped when they come by live.
        let subscription = environment.engine.events.subscribe(types: [EventType.toolCallCompleted])
        let repository = AuditRepository(environment.database)
        let writer = environment.engine.auditWriter
        return ServerSentEvents.response { sink in
            var replayed: Set<String> = []
            if let resumeAfter {
                // Whatever was delivered live before the client went away is in the database.
                _ = await writer.flush()
                var cursor = resumeAfter
                while !Task.isCancelled {
                    guard let page = try? repository.records(writtenAfter: cursor, limit: 500) else {
                        let notice =
                            #"{"reason":"the record to resume after is unknown (pruned?); live records follow"}"#
                        sink.send(id: nil, event: EventType.streamGap, data: Array(notice.utf8))
                        break
                    }
                    for record in page {
                        guard let data = try? APICoding.encoder.encode(record) else { continue }
                        guard sink.send(id: record.id, event: "audit", data: data) else { return }
                        replayed.insert(record.id)
                    }
                    guard page.count == 500, let last = page.last else { break }
                    cursor = last.id
                }
            }
            for await event in subscription {
                if event.isSynthetic {
                    sink.send(id: nil, event: event.type, data: event.data)
                    continue
                }
                guard let id = Self.recordId(event.data) else { continue }
                if replayed.remove(id) != nil { continue }
                guard sink.send(id: id, event: "audit", data: event.data) else { return }
            }
        }
    }

    static func recordId(_ data: [UInt8]) -> String? {
        guard case .object(let members)? = try? JSONDecoder().decode(JSONValue.self, from: Data(data)) else {
            return nil
        }
        return members["id"]?.stringValue
    }
}
