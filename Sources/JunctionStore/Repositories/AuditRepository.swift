import Foundation
import GRDB
import JunctionCore

/// The audit trail: one row per call, written in batches by ``AuditWriter``, read newest first.
public struct AuditRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// Inserts records in one transaction; returns how many were inserted.
    ///
    /// Audit must never jam on one bad record, so values the schema would refuse are repaired
    /// first (negative sizes and latencies become 0, params that are not JSON are stored as a JSON
    /// string), and a record whose id is already stored is skipped: retrying a batch is harmless.
    @discardableResult
    public func insert(_ records: [AuditRecord]) throws(StoreError) -> Int {
        guard !records.isEmpty else { return 0 }
        let records = records.map(Self.repaired)
        return try database.write { db in try Self.insert(records, db) }
    }

    /// ``insert(_:)`` without blocking a thread while SQLite is busy. The write happens even if
    /// the calling task is cancelled, so a flush on shutdown still lands.
    @discardableResult
    public func insert(_ records: [AuditRecord]) async throws(StoreError) -> Int {
        guard !records.isEmpty else { return 0 }
        let records = records.map(Self.repaired)
        let writer = database.writer
        // Not cancelled by anyone: awaited right here. Unstructured so that the caller's
        // cancellation (a shutting-down writer) does not abort the database access.
        let task = Task { try await writer.write { db in try Self.insert(records, db) } }
        do {
            return try await task.value
        } catch {
            throw StoreError.wrap(error)
        }
    }

    /// Records matching `query`, newest first (ties by id, newest first), one page.
    public func query(_ query: AuditQuery = AuditQuery()) throws(StoreError) -> [AuditRecord] {
        try database.read { db in
            try Self.filtered(query)
                .order(Column("created_at").desc, Column("id").desc)
                .limit(query.effectiveLimit, offset: query.effectiveOffset)
                .fetchAll(db)
        }
    }

    /// Every record matching `query` up to `limit` (not clamped to a page), newest first: for
    /// exports.
    public func export(_ query: AuditQuery, limit: Int) throws(StoreError) -> [AuditRecord] {
        try database.read { db in
            try Self.filtered(query)
                .order(Column("created_at").desc, Column("id").desc)
                .limit(max(0, limit), offset: query.effectiveOffset)
                .fetchAll(db)
        }
    }

    /// How many records match `query` (its limit and offset are ignored).
    public func count(_ query: AuditQuery = AuditQuery()) throws(StoreError) -> Int {
        try database.read { db in try Self.filtered(query).fetchCount(db) }
    }

    /// Records whose id sorts after `afterId` (all records when nil), oldest id first, at most
    /// `limit` (clamped like ``AuditQuery/limit``). Ids are ULIDs, which sort by creation time: a
    /// live feed resumes from the last id it delivered (SSE `Last-Event-ID`).
    public func records(afterId: String?, limit: Int) throws(StoreError) -> [AuditRecord] {
        let limit = AuditQuery(limit: limit).effectiveLimit
        return try database.read { db in
            var request = AuditRecord.filter(Column("kind") == AuditRecord.Kind.call.rawValue).order(Column("id"))
            if let afterId { request = request.filter(Column("id") > afterId) }
            return try request.limit(limit).fetchAll(db)
        }
    }

    /// Records written after the one with id `afterId`, in the order they were written, at most
    /// `limit` (clamped like ``AuditQuery/limit``); nil when no record has that id. Ids are given
    /// when a call starts and records are written when it ends, so write order — not id order —
    /// is what a live feed resuming from its last delivered record must follow.
    public func records(writtenAfter afterId: String, limit: Int) throws(StoreError) -> [AuditRecord]? {
        let limit = AuditQuery(limit: limit).effectiveLimit
        return try database.read { db in
            guard
                let rowid = try Int64.fetchOne(
                    db, sql: "SELECT rowid FROM audit_records WHERE id = ?", arguments: [afterId])
            else { return nil }
            return try AuditRecord.fetchAll(
                db, sql: "SELECT * FROM audit_records WHERE rowid > ? AND kind = 'call' ORDER BY rowid LIMIT ?",
                arguments: [rowid, limit])
        }
    }

    public func find(_ id: String) throws(StoreError) -> AuditRecord? {
        try database.read { db in try AuditRecord.fetchOne(db, key: id) }
    }

    /// Deletes records created before `date`; returns how many went.
    @discardableResult
    public func prune(olderThan date: Date) throws(StoreError) -> Int {
        try database.write { db in
            try AuditRecord.filter(Column("created_at") < date).deleteAll(db)
        }
    }

    /// One prepared statement for the whole batch, arguments bound by position: the record's
    /// generic persistence (a dictionary of columns per row) cost more than SQLite itself.
    private static func insert(_ records: [AuditRecord], _ db: Database) throws -> Int {
        let statement = try db.cachedStatement(sql: insertSQL)
        var inserted = 0
        for record in records {
            statement.setUncheckedArguments(arguments(of: record))
            try statement.execute()
            inserted += db.changesCount
        }
        return inserted
    }

    /// The columns ``AuditRecord/encode(to:)`` writes, in ``arguments(of:)``'s order.
    private static let insertSQL = """
        INSERT OR IGNORE INTO audit_records (id, kind, created_at, session_id, client_name, workspace_id, \
        workspace_name, client_root, method, tool_name, downstream_id, downstream_name, auth_scope_id, rule_id, \
        decision, status, error_code, error_message, params, params_bytes, result_bytes, latency_ms, cache_hit, \
        approval_id, request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    private static func arguments(of record: AuditRecord) -> StatementArguments {
        let values: [(any DatabaseValueConvertible)?] = [
            record.id, record.kind.rawValue, record.createdAt, record.sessionId, record.clientName, record.workspaceId,
            record.workspaceName, record.clientRoot, record.method, record.toolName, record.downstreamId,
            record.downstreamName, record.authScopeId, record.ruleId, record.decision.rawValue,
            record.status.rawValue, record.errorCode, record.errorMessage, record.params, record.paramsBytes,
            record.resultBytes, record.latencyMs, record.cacheHit, record.approvalId, record.requestId,
        ]
        return StatementArguments(values)
    }

    private static func filtered(_ query: AuditQuery) -> QueryInterfaceRequest<AuditRecord> {
        var request = AuditRecord.filter(query.kinds.map(\.rawValue).contains(Column("kind")))
        if let value = query.statuses { request = request.filter(value.map(\.rawValue).contains(Column("status"))) }
        if let value = query.downstreamName { request = request.filter(Column("downstream_name") == value) }
        if let value = query.anyToolName {
            let escaped = value.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            request = request.filter(
                Column("tool_name") == value
                    || SQL(sql: "tool_name LIKE ? ESCAPE '\\'", arguments: ["%\\_\\_" + escaped]).sqlExpression)
        }
        if let value = query.sessionId { request = request.filter(Column("session_id") == value) }
        if let value = query.workspaceId { request = request.filter(Column("workspace_id") == value) }
        if let value = query.downstreamId { request = request.filter(Column("downstream_id") == value) }
        if let value = query.toolName { request = request.filter(Column("tool_name") == value) }
        if let value = query.status { request = request.filter(Column("status") == value.rawValue) }
        if let value = query.after { request = request.filter(Column("created_at") > value) }
        if let value = query.before { request = request.filter(Column("created_at") < value) }
        return request
    }

    /// A record the schema's CHECKs accept.
    static func repaired(_ record: AuditRecord) -> AuditRecord {
        var record = record
        record.paramsBytes = max(record.paramsBytes, 0)
        record.resultBytes = max(record.resultBytes, 0)
        if !record.latencyMs.isFinite || record.latencyMs < 0 { record.latencyMs = 0 }
        if let params = record.params, (try? RawJSON(validating: Array(params.utf8))) == nil {
            record.params = JSONColumn.encode(params)
        }
        return record
    }
}
