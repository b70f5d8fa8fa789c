import GRDB
import JunctionCore

extension ClientKey: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "client_keys"

    public init(row: Row) throws {
        self.init(
            id: row["id"], name: row["name"], keyHash: row["key_hash"], prefix: row["prefix"],
            workspaceId: row["workspace_id"], createdAt: row["created_at"])
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["name"] = name
        container["key_hash"] = keyHash
        container["prefix"] = prefix
        container["workspace_id"] = workspaceId
        container["created_at"] = createdAt
    }
}
