import GRDB
import JunctionCore

extension CatalogEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "tool_catalog"

    public init(row: Row) throws {
        let name: String = row["name"]
        let title: String? = row["title"]
        let description: String? = row["description"]
        let inputSchema: String? = row["input_schema"]
        let outputSchema: String? = row["output_schema"]
        let annotations: String? = row["annotations"]
        self.init(
            id: row["id"],
            downstreamId: row["downstream_id"],
            kind: try row.enumValue("kind"),
            name: name,
            title: title,
            description: description,
            inputSchema: inputSchema,
            outputSchema: outputSchema,
            annotations: annotations,
            // raw is nullable in the schema; a row written without it is rebuilt from its columns.
            raw: row["raw"]
                ?? Self.rebuiltRaw(
                    name: name, title: title, description: description, inputSchema: inputSchema,
                    outputSchema: outputSchema, annotations: annotations),
            sha256: row["sha256"],
            firstSeen: row["first_seen"],
            lastSeen: row["last_seen"]
        )
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["downstream_id"] = downstreamId
        container["kind"] = kind.rawValue
        container["name"] = name
        container["title"] = title
        container["description"] = description
        container["input_schema"] = inputSchema
        container["output_schema"] = outputSchema
        container["annotations"] = annotations
        container["raw"] = raw
        container["sha256"] = sha256
        container["first_seen"] = firstSeen
        container["last_seen"] = lastSeen
    }

    /// An MCP-shaped object from the columns, for rows whose raw JSON was never stored.
    static func rebuiltRaw(
        name: String, title: String?, description: String?, inputSchema: String?, outputSchema: String?,
        annotations: String?
    ) -> String {
        var members = ["\"name\":" + JSONColumn.encode(name)]
        if let title { members.append("\"title\":" + JSONColumn.encode(title)) }
        if let description { members.append("\"description\":" + JSONColumn.encode(description)) }
        if let inputSchema { members.append("\"inputSchema\":" + inputSchema) }
        if let outputSchema { members.append("\"outputSchema\":" + outputSchema) }
        if let annotations { members.append("\"annotations\":" + annotations) }
        return "{" + members.joined(separator: ",") + "}"
    }
}
