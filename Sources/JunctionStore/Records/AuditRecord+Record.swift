import GRDB
import JunctionCore

extension AuditRecord: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audit_records"

    public init(row: Row) throws {
        self.init(
            id: row["id"],
            kind: try row.enumValue("kind"),
            createdAt: row["created_at"],
            sessionId: row["session_id"],
            clientName: row["client_name"],
            workspaceId: row["workspace_id"],
            workspaceName: row["workspace_name"],
            clientRoot: row["client_root"],
            method: row["method"],
            toolName: row["tool_name"],
            downstreamId: row["downstream_id"],
            downstreamName: row["downstream_name"],
            authScopeId: row["auth_scope_id"],
            ruleId: row["rule_id"],
            decision: try row.enumValue("decision"),
            status: try row.enumValue("status"),
            errorCode: row["error_code"],
            errorMessage: row["error_message"],
            params: row["params"],
            paramsBytes: row["params_bytes"],
            resultBytes: row["result_bytes"],
            latencyMs: row["latency_ms"],
            cacheHit: row["cache_hit"],
            approvalId: row["approval_id"],
            requestId: row["request_id"]
        )
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["kind"] = kind.rawValue
        container["created_at"] = createdAt
        container["session_id"] = sessionId
        container["client_name"] = clientName
        container["workspace_id"] = workspaceId
        container["workspace_name"] = workspaceName
        container["client_root"] = clientRoot
        container["method"] = method
        container["tool_name"] = toolName
        container["downstream_id"] = downstreamId
        container["downstream_name"] = downstreamName
        container["auth_scope_id"] = authScopeId
        container["rule_id"] = ruleId
        container["decision"] = decision.rawValue
        container["status"] = status.rawValue
        container["error_code"] = errorCode
        container["error_message"] = errorMessage
        container["params"] = params
        container["params_bytes"] = paramsBytes
        container["result_bytes"] = resultBytes
        container["latency_ms"] = latencyMs
        container["cache_hit"] = cacheHit
        container["approval_id"] = approvalId
        container["request_id"] = requestId
    }
}
