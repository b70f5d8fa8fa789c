import Crypto
import Foundation
import GRDB
import JunctionCore

/// What each downstream offers (tools, resources, resource templates, prompts) as last discovered.
/// Catalog writes are not configuration: they do not bump the routing generation.
public struct CatalogRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// One entry as a downstream just listed it. The JSON fields are raw JSON text; `raw` is the
    /// entry's whole object, relayed to clients unchanged.
    public struct Discovered: Sendable, Hashable {
        public var name: String
        public var title: String?
        public var description: String?
        public var inputSchema: String?
        public var outputSchema: String?
        public var annotations: String?
        public var raw: String

        public init(
            name: String, title: String? = nil, description: String? = nil, inputSchema: String? = nil,
            outputSchema: String? = nil, annotations: String? = nil, raw: String
        ) {
            self.name = name
            self.title = title
            self.description = description
            self.inputSchema = inputSchema
            self.outputSchema = outputSchema
            self.annotations = annotations
            self.raw = raw
        }
    }

    /// Replaces what one downstream offers of one kind with `entries`, in one transaction: entries
    /// are upserted by name (keeping `first_seen`, setting `last_seen` to `now`), entries no longer
    /// offered are deleted. When a name appears twice, the last one wins.
    ///
    /// - Returns: the names added, removed and changed (raw JSON differs), so the caller notifies
    ///   clients only when something changed.
    @discardableResult
    public func replace(
        downstreamId: String, kind: CatalogEntry.Kind, entries: [Discovered], at now: Date = Date()
    ) throws(StoreError) -> CatalogChange {
        var latest: [String: Discovered] = [:]
        var order: [String] = []
        for entry in entries {
            try Self.validate(entry, kind: kind)
            if latest.updateValue(entry, forKey: entry.name) == nil { order.append(entry.name) }
        }
        let discovered = order.compactMap { latest[$0] }
        return try database.write { db in
            guard try Downstream.exists(db, key: downstreamId) else {
                throw StoreError.notFound(kind: "server", key: downstreamId)
            }
            let existing = try Dictionary(
                Row.fetchAll(
                    db, sql: "SELECT name, sha256 FROM tool_catalog WHERE downstream_id = ? AND kind = ?",
                    arguments: [downstreamId, kind.rawValue]
                ).map { ($0["name"] as String, $0["sha256"] as String) },
                uniquingKeysWith: { first, _ in first })

            var change = CatalogChange()
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO tool_catalog (
                        id, downstream_id, kind, name, title, description, input_schema, output_schema,
                        annotations, raw, sha256, first_seen, last_seen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (downstream_id, kind, name) DO UPDATE SET
                        title = excluded.title, description = excluded.description,
                        input_schema = excluded.input_schema, output_schema = excluded.output_schema,
                        annotations = excluded.annotations, raw = excluded.raw, sha256 = excluded.sha256,
                        last_seen = excluded.last_seen
                    """)
            for entry in discovered {
                let hash = Self.sha256(entry.raw)
                switch existing[entry.name] {
                case nil: change.added.append(entry.name)
                case let previous? where previous != hash: change.changed.append(entry.name)
                default: break
                }
                try upsert.execute(arguments: [
                    ULID.make(date: now), downstreamId, kind.rawValue, entry.name, entry.title, entry.description,
                    entry.inputSchema, entry.outputSchema, entry.annotations, entry.raw, hash, now, now,
                ])
            }
            change.removed = existing.keys.filter { latest[$0] == nil }
            if !change.removed.isEmpty {
                try CatalogEntry
                    .filter(Column("downstream_id") == downstreamId && Column("kind") == kind.rawValue)
                    .filter(change.removed.contains(Column("name")))
                    .deleteAll(db)
            }
            change.added.sort()
            change.removed.sort()
            change.changed.sort()
            return change
        }
    }

    /// Entries by server, kind and name; only one server's and/or one kind's when given.
    public func list(downstreamId: String? = nil, kind: CatalogEntry.Kind? = nil) throws(StoreError) -> [CatalogEntry] {
        try database.read { db in
            var request = CatalogEntry.all()
            if let downstreamId { request = request.filter(Column("downstream_id") == downstreamId) }
            if let kind { request = request.filter(Column("kind") == kind.rawValue) }
            return try request.order(Column("downstream_id"), Column("kind"), Column("name")).fetchAll(db)
        }
    }

    /// One entry by its downstream's name for it.
    public func find(downstreamId: String, kind: CatalogEntry.Kind, name: String) throws(StoreError) -> CatalogEntry? {
        try database.read { db in
            try CatalogEntry
                .filter(
                    Column("downstream_id") == downstreamId && Column("kind") == kind.rawValue
                        && Column("name") == name
                )
                .fetchOne(db)
        }
    }

    /// Tools whose name, title or description contains `query` (ignoring case), best first: name
    /// starts with it, then name contains it, then title, then description; ties by name, then
    /// server. An empty query lists tools by name. `limit` is capped at 1000.
    public func search(query: String, limit: Int = 20) throws(StoreError) -> [CatalogEntry] {
        let limit = min(limit, 1000)
        guard limit > 0 else { return [] }
        let needle = query.trimmingCharacters(in: .whitespacesAndNewlines)
        // Rank on the small text columns first, then load whole rows for the winners only.
        let candidates = try database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, downstream_id, name, title, description FROM tool_catalog WHERE kind = 'tool'")
        }
        let ranked =
            candidates
            .compactMap { row -> (rank: Int, name: String, downstreamId: String, id: String)? in
                let name: String = row["name"]
                guard let rank = Self.rank(needle, name: name, title: row["title"], description: row["description"])
                else { return nil }
                return (rank, name, row["downstream_id"], row["id"])
            }
            .sorted { lhs, rhs in
                if lhs.rank != rhs.rank { return lhs.rank < rhs.rank }
                if lhs.name != rhs.name { return lhs.name < rhs.name }
                return lhs.downstreamId < rhs.downstreamId
            }
            .prefix(limit)
        let ids = ranked.map(\.id)
        let entries = try database.read { db in
            try CatalogEntry.filter(ids.contains(Column("id"))).fetchAll(db)
        }
        let byId = Dictionary(entries.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return ids.compactMap { byId[$0] }
    }

    /// A number that changes whenever any server's tools do (added, removed, changed), for caches
    /// built from the stored tools. Equal within one process only.
    public func toolsFingerprint() throws(StoreError) -> Int {
        try database.read { db in
            var hasher = Hasher()
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT downstream_id, name, sha256 FROM tool_catalog WHERE kind = 'tool' ORDER BY downstream_id, name"
            )
            while let row = try rows.next() {
                hasher.combine(row["downstream_id"] as String)
                hasher.combine(row["name"] as String)
                hasher.combine(row["sha256"] as String)
            }
            return hasher.finalize()
        }
    }

    /// Deletes everything one downstream offered; returns how many entries went.
    @discardableResult
    public func delete(downstreamId: String) throws(StoreError) -> Int {
        try database.write { db in
            try CatalogEntry.filter(Column("downstream_id") == downstreamId).deleteAll(db)
        }
    }

    /// Lowercase hex SHA-256 of the text's UTF-8 bytes.
    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// 0: name starts with the query; 1: name contains it; 2: title; 3: description; nil: no match.
    private static func rank(_ query: String, name: String, title: String?, description: String?) -> Int? {
        if query.isEmpty || name.range(of: query, options: [.caseInsensitive, .anchored]) != nil { return 0 }
        if name.range(of: query, options: .caseInsensitive) != nil { return 1 }
        if let title, title.range(of: query, options: .caseInsensitive) != nil { return 2 }
        if let description, description.range(of: query, options: .caseInsensitive) != nil { return 3 }
        return nil
    }

    private static func validate(_ entry: Discovered, kind: CatalogEntry.Kind) throws(StoreError) {
        guard !entry.name.isEmpty else {
            throw .invalid(ValidationError(field: "name", message: "a catalog \(kind.rawValue) needs a name"))
        }
        let fields: [(String, String?)] = [
            ("raw", entry.raw), ("input_schema", entry.inputSchema), ("output_schema", entry.outputSchema),
            ("annotations", entry.annotations),
        ]
        for (field, text) in fields {
            guard let text else { continue }
            do {
                _ = try RawJSON(validating: Array(text.utf8))
            } catch {
                throw .invalid(
                    ValidationError(
                        field: field,
                        message: "\(kind.rawValue) '\(entry.name)': \(field) is not valid JSON (\(error))"))
            }
        }
    }
}
