import GRDB
import JunctionCore

extension ToolPin: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tool_pins"

    public init(row: Row) {
        self.init(
            downstreamId: row["downstream_id"], name: row["name"], sha256: row["sha256"],
            definition: row["definition"], pinnedAt: row["pinned_at"], changedSha256: row["changed_sha256"],
            changedDefinition: row["changed_definition"], changedAt: row["changed_at"])
    }

    public func encode(to container: inout PersistenceContainer) {
        container["downstream_id"] = downstreamId
        container["name"] = name
        container["sha256"] = sha256
        container["definition"] = definition
        container["pinned_at"] = pinnedAt
        container["changed_sha256"] = changedSha256
        container["changed_definition"] = changedDefinition
        container["changed_at"] = changedAt
    }
}
