import GRDB
import JunctionCore

extension Downstream: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "downstreams"

    public init(row: Row) throws {
        self.init(
            id: row["id"],
            name: row["name"],
            namespace: row["namespace"] as String,
            transport: try row.enumValue("transport"),
            command: row["command"],
            args: try row.json("args"),
            env: try row.json("env"),
            cwd: row["cwd"],
            url: row["url"],
            headers: try row.json("headers"),
            httpTransport: try row.enumValue("http_transport"),
            enabled: row["enabled"],
            quarantined: row["quarantined"],
            instanceMode: try row.enumValue("instance_mode"),
            idleTimeoutSec: row["idle_timeout_sec"],
            callTimeoutSec: row["call_timeout_sec"],
            maxConcurrentCalls: row["max_concurrent_calls"],
            tags: try row.json("tags"),
            createdAt: row["created_at"],
            updatedAt: row["updated_at"]
        )
    }

    public func encode(to container: inout PersistenceContainer) {
        container["id"] = id
        container["name"] = name
        container["namespace"] = namespace
        container["transport"] = transport.rawValue
        container["command"] = command
        container["args"] = JSONColumn.encode(args)
        container["env"] = JSONColumn.encode(env)
        container["cwd"] = cwd
        container["url"] = url
        container["headers"] = JSONColumn.encode(headers)
        container["http_transport"] = httpTransport.rawValue
        container["enabled"] = enabled
        container["quarantined"] = quarantined
        container["instance_mode"] = instanceMode.rawValue
        container["idle_timeout_sec"] = idleTimeoutSec
        container["call_timeout_sec"] = callTimeoutSec
        container["max_concurrent_calls"] = maxConcurrentCalls
        container["tags"] = JSONColumn.encode(tags)
        container["created_at"] = createdAt
        container["updated_at"] = updatedAt
    }
}
