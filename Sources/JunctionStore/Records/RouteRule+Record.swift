import GRDB
import JunctionCore

extension RouteRule: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "route_rules"

    public init(row: Row) throws {
        self.init(
            id: row["id"],
            name: row["name"],
            workspaceId: row["workspace_id"],
            pathGlob: row["path_glob"],
            toolPattern: row["tool_pattern"],
            downstreamId: row["downstream_id"],
            authScopeId: row["auth_scope_id"],
            policy: try row.enumValue("policy"),
            priority: row["priority"],
            approvalTimeoutSec: row["approval_timeout_sec"],
            cacheTTLSec: row["cache_ttl_sec"],
            enabled: row["enabled"],
            createdAt: row["created_at"],
            updatedAt: row["updated_at"]
        )
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["name"] = name
        container["workspace_id"] = workspaceId
        container["path_glob"] = pathGlob
        container["tool_pattern"] = toolPattern
        container["downstream_id"] = downstreamId
        container["auth_scope_id"] = authScopeId
        container["policy"] = policy.rawValue
        container["priority"] = priority
        container["approval_timeout_sec"] = approvalTimeoutSec
        container["cache_ttl_sec"] = cacheTTLSec
        container["enabled"] = enabled
        container["created_at"] = createdAt
        container["updated_at"] = updatedAt
    }
}
