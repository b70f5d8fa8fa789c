import Foundation
import Hummingbird
import JunctionCore
import JunctionStore

/// MCPProxy's activity log over Junction's audit trail (one trail: calls and changes):
/// - `GET /activity?type=&server=&tool=&session_id=&status=&start_time=&end_time=&limit=&offset=`
/// - `GET /activity/{id}`: one record with its arguments.
/// - `GET /activity/export?format=json|jsonl|csv` (json is JSON Lines, as MCPProxy's), same filters.
///
/// Types: `tool_call` (a client's request that ran), `policy_decision` (a request that policy or a
/// human refused), `server_change`, `quarantine_change`, `config_change`. Statuses: `success`,
/// `error` (failed, timed out, cancelled) and `blocked` (denied by a rule or an approver, or an
/// approval that timed out).
extension MCPProxyController {
    static let blockedStatuses: Set<AuditRecord.Status> = [.denied, .approvalDenied, .approvalTimeout]
    static let activityTypes = ["tool_call", "policy_decision", "server_change", "quarantine_change", "config_change"]

    /// One activity record as MCPProxy lists it; the detail adds the arguments and the rest.
    struct Activity: Encodable, Sendable {
        var id: String
        var type: String
        var serverName: String?
        var toolName: String?
        var status: String
        var durationMs: Int
        var timestamp: Date
        var sessionId: String?
        var clientName: String?
        var workspaceName: String?
        var method: String
        var decision: String
        var errorMessage: String?
        /// Detail only: the call's arguments (redacted) or the change's particulars.
        var arguments: JSONValue?
        var detail: Detail?

        struct Detail: Encodable, Sendable {
            var clientToolName: String
            var requestId: String?
            var ruleId: String?
            var approvalId: String?
            var errorCode: Int?
            var resultBytes: Int
            var cacheHit: Bool
            var auditStatus: String

            enum CodingKeys: String, CodingKey {
                case clientToolName = "client_tool_name"
                case requestId = "request_id"
                case ruleId = "rule_id"
                case approvalId = "approval_id"
                case errorCode = "error_code"
                case resultBytes = "result_bytes"
                case cacheHit = "cache_hit"
                case auditStatus = "audit_status"
            }
        }

        enum CodingKeys: String, CodingKey {
            case id, type, status, timestamp, method, decision, arguments, detail
            case serverName = "server_name"
            case toolName = "tool_name"
            case durationMs = "duration_ms"
            case sessionId = "session_id"
            case clientName = "client_name"
            case workspaceName = "workspace_name"
            case errorMessage = "error_message"
        }

        init(_ record: AuditRecord, detailed: Bool) {
            id = record.id
            type = MCPProxyController.activityType(record)
            serverName = record.downstreamName
            toolName = MCPProxyController.serverToolName(record)
            status = MCPProxyController.activityStatus(record.status)
            durationMs = record.latencyMs.isFinite ? Int(min(max(record.latencyMs, 0), 1e15).rounded()) : 0
            timestamp = record.createdAt
            sessionId = record.sessionId
            clientName = record.clientName
            workspaceName = record.workspaceName
            method = record.method
            decision = record.decision.rawValue
            errorMessage = record.errorMessage
            guard detailed else { return }
            arguments = JSONValue.parse(record.params)
            detail = Detail(
                clientToolName: record.toolName, requestId: record.requestId, ruleId: record.ruleId,
                approvalId: record.approvalId, errorCode: record.errorCode, resultBytes: record.resultBytes,
                cacheHit: record.cacheHit, auditStatus: record.status.rawValue)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(type, forKey: .type)
            try container.encode(serverName, forKey: .serverName)
            try container.encode(toolName, forKey: .toolName)
            try container.encode(status, forKey: .status)
            try container.encode(durationMs, forKey: .durationMs)
            try container.encode(timestamp, forKey: .timestamp)
            try container.encode(sessionId, forKey: .sessionId)
            try container.encode(clientName, forKey: .clientName)
            try container.encode(workspaceName, forKey: .workspaceName)
            try container.encode(method, forKey: .method)
            try container.encode(decision, forKey: .decision)
            try container.encode(errorMessage, forKey: .errorMessage)
            if let detail {
                try container.encode(arguments, forKey: .arguments)
                try container.encode(detail, forKey: .detail)
            }
        }
    }

    struct ActivityPage: Encodable, Sendable {
        var activities: [Activity]
        var total: Int
        var limit: Int
        var offset: Int
    }

    func addActivityRoutes(to group: RouterGroup<APIContext>) {
        group.get("activity") { request, _ -> Envelope<ActivityPage> in
            let query = try Self.activityQuery(request, limits: 1...100, defaultLimit: 50)
            let repository = AuditRepository(environment.database)
            let records = try repository.query(query)
            return Envelope(
                ActivityPage(
                    activities: records.map { Activity($0, detailed: false) }, total: try repository.count(query),
                    limit: query.limit, offset: query.offset))
        }
        group.get("activity/export") { request, _ -> Response in
            try exportActivity(request)
        }
        group.get("activity/:id") { _, context -> Envelope<Activity> in
            let id = try context.parameters.require("id")
            guard let record = try AuditRepository(environment.database).find(id) else {
                throw APIError.notFound("activity record '\(id)' not found")
            }
            return Envelope(Activity(record, detailed: true))
        }
    }

    private func exportActivity(_ request: Request) throws -> Response {
        let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard ["json", "jsonl", "csv"].contains(format) else {
            throw APIError.badRequest("format must be json (JSON Lines), jsonl or csv", field: "format")
        }
        let query = try Self.activityQuery(
            request, limits: 1...AuditExport.maximumRecords, defaultLimit: AuditExport.maximumRecords)
        let records = try AuditRepository(environment.database).export(query, limit: query.limit)
        let activities = records.map { Activity($0, detailed: true) }
        var headers = HTTPFields()
        var body = ""
        if format == "csv" {
            headers[.contentType] = "text/csv; charset=utf-8"
            body = Self.activityCSV(activities)
        } else {
            headers[.contentType] = "application/x-ndjson; charset=utf-8"
            let encoder = APICoding.encoder
            for activity in activities {
                guard let data = try? encoder.encode(activity) else { continue }
                body += String(decoding: data, as: UTF8.self) + "\n"
            }
        }
        let suffix = format == "csv" ? "csv" : "jsonl"
        headers[.contentDisposition] = "attachment; filename=\"junction-activity.\(suffix)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static let activityColumns = [
        "id", "timestamp", "type", "server_name", "tool_name", "status", "duration_ms", "session_id", "client_name",
        "workspace_name", "method", "decision", "error_message", "arguments",
    ]

    static func activityCSV(_ activities: [Activity]) -> String {
        let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var out = activityColumns.joined(separator: ",") + "\r\n"
        for activity in activities {
            let fields: [String?] = [
                activity.id, activity.timestamp.formatted(time), activity.type, activity.serverName, activity.toolName,
                activity.status, String(activity.durationMs), activity.sessionId, activity.clientName,
                activity.workspaceName, activity.method, activity.decision, activity.errorMessage,
                activity.arguments.flatMap { try? APICoding.encoder.encode($0) }.map {
                    String(decoding: $0, as: UTF8.self)
                },
            ]
            out += fields.map { AuditExport.quote($0 ?? "") }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// The audit query of MCPProxy's filters; 400 naming the parameter that is wrong.
    static func activityQuery(_ request: Request, limits: ClosedRange<Int>, defaultLimit: Int) throws -> AuditQuery {
        func text(_ name: String) -> String? { AuditController.queryText(request, name) }
        func date(_ name: String) throws -> Date? { try AuditController.queryDate(request, name) }
        var query = AuditQuery(
            sessionId: text("session_id"), after: try date("start_time"), before: try date("end_time"),
            limit: try request.queryInt("limit", default: defaultLimit, in: limits),
            offset: try request.queryInt("offset", default: 0, in: 0...Int(Int32.max)))
        query.downstreamName = text("server")
        query.anyToolName = text("tool")
        var statuses = Set(AuditRecord.Status.allCases)
        if let status = text("status") {
            switch status {
            case "success": statuses = [.ok]
            case "error": statuses = [.error, .timeout, .cancelled]
            case "blocked": statuses = blockedStatuses
            default: throw APIError.badRequest("status must be success, error or blocked", field: "status")
            }
        }
        query.kinds = Set(AuditRecord.Kind.allCases)
        if let type = text("type") {
            switch type {
            case "tool_call":
                query.kinds = [.call]
                statuses.subtract(blockedStatuses)
            case "policy_decision":
                query.kinds = [.call]
                statuses.formIntersection(blockedStatuses)
            case "server_change": query.kinds = [.serverChange]
            case "quarantine_change": query.kinds = [.quarantineChange]
            case "config_change": query.kinds = [.configChange]
            default:
                throw APIError.badRequest(
                    "type must be one of \(activityTypes.joined(separator: ", "))", field: "type")
            }
        }
        if statuses.count < AuditRecord.Status.allCases.count { query.statuses = statuses }
        return query
    }

    static func activityType(_ record: AuditRecord) -> String {
        switch record.kind {
        case .call: blockedStatuses.contains(record.status) ? "policy_decision" : "tool_call"
        case .serverChange: "server_change"
        case .quarantineChange: "quarantine_change"
        case .configChange: "config_change"
        }
    }

    static func activityStatus(_ status: AuditRecord.Status) -> String {
        switch status {
        case .ok: "success"
        case .denied, .approvalDenied, .approvalTimeout: "blocked"
        case .error, .timeout, .cancelled: "error"
        }
    }

    /// A call's tool by its server's own name (`create_issue` for `gh__create_issue`); a change's
    /// subject as recorded.
    static func serverToolName(_ record: AuditRecord) -> String? {
        guard record.kind == .call else { return record.toolName.isEmpty ? nil : record.toolName }
        guard record.downstreamName != nil, let range = record.toolName.range(of: "__") else {
            return record.toolName
        }
        return String(record.toolName[range.upperBound...])
    }
}
