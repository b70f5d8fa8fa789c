import GRDB

/// Shared lookups of the repositories: rows addressed by id or by unique name, uniqueness checks
/// that produce a precise error instead of a bare constraint failure.
enum Lookup {
    /// The row whose id is `key`, else the row whose name is `key`.
    static func byIdOrName<Record: FetchableRecord & TableRecord>(
        _ type: Record.Type, _ db: Database, _ key: String
    ) throws -> Record? {
        if let byId = try Record.filter(Column("id") == key).fetchOne(db) { return byId }
        return try Record.filter(Column("name") == key).fetchOne(db)
    }

    /// Throws `duplicate` when another row of `table` already has `value` in `column`.
    static func ensureUnique(
        _ db: Database, table: String, column: String, value: String?, excludingId: String?,
        kind: String, field: String? = nil
    ) throws {
        guard let value else { return }
        let count =
            try Int.fetchOne(
                db,
                sql: "SELECT count(*) FROM \(table) WHERE \(column) = ? AND id IS NOT ?",
                arguments: [value, excludingId]
            ) ?? 0
        if count > 0 { throw StoreError.duplicate(kind: kind, field: field ?? column, value: value) }
    }
}
