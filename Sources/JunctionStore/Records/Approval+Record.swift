import GRDB
import JunctionCore

extension Approval: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "approvals"

    public init(row: Row) throws {
        self.init(
            id: row["id"],
            createdAt: row["created_at"],
            sessionId: row["session_id"],
            clientName: row["client_name"],
            workspaceId: row["workspace_id"],
            workspaceName: row["workspace_name"],
            toolName: row["tool_name"],
            downstreamId: row["downstream_id"],
            downstreamName: row["downstream_name"],
            ruleId: row["rule_id"],
            params: row["params"],
            status: try row.enumValue("status"),
            timeoutSec: row["timeout_sec"],
            expiresAt: row["expires_at"],
            resolution: row["resolution"],
            resolvedBy: row["resolved_by"],
            remember: try row.enumValue("remember"),
            resolvedAt: row["resolved_at"]
        )
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["created_at"] = createdAt
        container["session_id"] = sessionId
        container["client_name"] = clientName
        container["workspace_id"] = workspaceId
        container["workspace_name"] = workspaceName
        container["tool_name"] = toolName
        container["downstream_id"] = downstreamId
        container["downstream_name"] = downstreamName
        container["rule_id"] = ruleId
        container["params"] = params
        container["status"] = status.rawValue
        container["timeout_sec"] = timeoutSec
        container["expires_at"] = expiresAt
        container["resolution"] = resolution
        container["resolved_by"] = resolvedBy
        container["remember"] = remember.rawValue
        container["resolved_at"] = resolvedAt
    }
}
