import GRDB
import JunctionCore

extension AuditRecord {
    /// Records a configuration change (a workspace, route, auth scope or applied document) in the
    /// activity trail, in the transaction that makes it.
    static func configChange(
        _ method: String, name: String, details: [String: JSONValue] = [:], _ db: Database
    ) throws {
        try change(.configChange, method, name: name, details: details).insert(db)
    }

    /// An auth scope change names the scope's secret keys, never their values.
    static func configChange(_ method: String, name: String, keys scope: AuthScope, _ db: Database) throws {
        try configChange(
            method, name: name,
            details: [
                "env_keys": .array(scope.envKeys.map(JSONValue.string)),
                "header_keys": .array(scope.headerKeys.map(JSONValue.string)),
            ], db)
    }
}
