import Foundation
import JunctionCore

/// Audit records as downloads: JSON Lines (one record per line, the API's field names) and CSV
/// (RFC 4180 quoting; parameters as their redacted JSON text).
enum AuditExport {
    static let maximumRecords = 100_000

    static func jsonLines(_ records: [AuditRecord]) -> String {
        let encoder = APICoding.encoder
        var out = ""
        for record in records {
            guard let data = try? encoder.encode(record) else { continue }
            out += String(decoding: data, as: UTF8.self) + "\n"
        }
        return out
    }

    static let columns = [
        "id", "created_at", "session_id", "client_name", "workspace_id", "workspace_name", "client_root", "method",
        "tool_name", "server_id", "server_name", "auth_scope_id", "rule_id", "decision", "status", "error_code",
        "error_message", "params", "params_bytes", "result_bytes", "latency_ms", "cache_hit", "approval_id",
        "request_id",
    ]

    static func csv(_ records: [AuditRecord]) -> String {
        let time = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var out = columns.joined(separator: ",") + "\r\n"
        for record in records {
            let fields: [String?] = [
                record.id, record.createdAt.formatted(time), record.sessionId, record.clientName, record.workspaceId,
                record.workspaceName, record.clientRoot, record.method, record.toolName, record.downstreamId,
                record.downstreamName, record.authScopeId, record.ruleId, record.decision.rawValue,
                record.status.rawValue, record.errorCode.map(String.init), record.errorMessage, record.params,
                String(record.paramsBytes), String(record.resultBytes), String(record.latencyMs),
                record.cacheHit ? "true" : "false", record.approvalId, record.requestId,
            ]
            out += fields.map { quote($0 ?? "") }.joined(separator: ",") + "\r\n"
        }
        return out
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. A leading
    /// `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet does not run it as a formula.
    static func quote(_ field: String) -> String {
        var field = field
        if let first = field.first, "=+-@".contains(first), Double(field) == nil { field = "'" + field }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
