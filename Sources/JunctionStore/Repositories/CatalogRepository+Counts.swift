import GRDB
import JunctionCore

extension CatalogRepository {
    /// How many entries of `kind` each downstream offers, by downstream id, counted in the
    /// database (the admin API lists servers with their tool counts without loading catalogs).
    /// Downstreams never discovered are absent.
    public func counts(of kind: CatalogEntry.Kind = .tool) throws(StoreError) -> [String: Int] {
        try database.read { db in
            let rows = try Row.fetchAll(
                db,
                sql:
                    "SELECT downstream_id, count(*) AS entries FROM tool_catalog WHERE kind = ? GROUP BY downstream_id",
                arguments: [kind.rawValue])
            return Dictionary(
                rows.map { ($0["downstream_id"] as String, $0["entries"] as Int) },
                uniquingKeysWith: { first, _ in first })
        }
    }
}
