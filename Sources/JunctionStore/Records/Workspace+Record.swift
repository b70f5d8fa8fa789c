import GRDB
import JunctionCore

extension Workspace: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "workspaces"

    public init(row: Row) throws {
        self.init(
            id: row["id"],
            name: row["name"],
            rootPath: row["root_path"],
            defaultPolicy: try row.enumValue("default_policy"),
            tags: try row.json("tags"),
            slimTools: row["slim_tools"],
            createdAt: row["created_at"],
            updatedAt: row["updated_at"]
        )
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["name"] = name
        container["root_path"] = rootPath
        container["default_policy"] = defaultPolicy.rawValue
        container["tags"] = JSONColumn.encode(tags)
        container["slim_tools"] = slimTools
        container["created_at"] = createdAt
        container["updated_at"] = updatedAt
    }
}
