import GRDB
import JunctionCore

extension SessionInfo: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "sessions"

    public init(row: Row) throws {
        self.init(
            id: row["id"],
            clientName: row["client_name"],
            clientVersion: row["client_version"],
            protocolVersion: row["protocol_version"],
            transport: try row.enumValue("transport"),
            clientRoot: row["client_root"],
            workspaceId: row["workspace_id"],
            status: try row.enumValue("status"),
            startedAt: row["started_at"],
            lastSeenAt: row["last_seen_at"],
            endedAt: row["ended_at"]
        )
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["client_name"] = clientName
        container["client_version"] = clientVersion
        container["protocol_version"] = protocolVersion
        container["transport"] = transport.rawValue
        container["client_root"] = clientRoot
        container["workspace_id"] = workspaceId
        container["status"] = status.rawValue
        container["started_at"] = startedAt
        container["last_seen_at"] = lastSeenAt
        container["ended_at"] = endedAt
    }
}
