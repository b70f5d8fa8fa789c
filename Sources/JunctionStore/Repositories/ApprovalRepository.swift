import Foundation
import GRDB
import JunctionCore

/// Parked calls. A pending approval is resolved at most once: the write is conditional on the row
/// still being pending, so of two concurrent resolutions exactly one wins and the other learns the
/// state it lost to.
public struct ApprovalRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// Stores a new pending approval. Its session must exist in `sessions` or be nil.
    @discardableResult
    public func create(_ approval: Approval) throws(StoreError) -> Approval {
        var approval = approval
        approval.status = .pending
        approval.resolvedAt = nil
        if let params = approval.params, (try? RawJSON(validating: Array(params.utf8))) == nil {
            approval.params = JSONColumn.encode(params)
        }
        let stored = approval
        try database.write { db in
            // A session this process never recorded (tests, races at shutdown) is not an error.
            var row = stored
            if let sessionId = row.sessionId,
                try
                    !(Bool.fetchOne(
                        db, sql: "SELECT EXISTS (SELECT 1 FROM sessions WHERE id = ?)", arguments: [sessionId]) ?? false)
            {
                row.sessionId = nil
            }
            try row.insert(db)
        }
        return stored
    }

    public func get(_ id: String) throws(StoreError) -> Approval {
        guard let approval = try database.read({ db in try Approval.fetchOne(db, key: id) }) else {
            throw .notFound(kind: "approval", key: id)
        }
        return approval
    }

    /// Newest first; `status` nil lists every status.
    public func list(status: Approval.Status? = .pending, limit: Int = 100, offset: Int = 0) throws(StoreError)
        -> [Approval]
    {
        try database.read { db in
            var request = Approval.all()
            if let status { request = request.filter(Column("status") == status.rawValue) }
            return try request.order(Column("created_at").desc, Column("id").desc)
                .limit(max(1, min(limit, 1000)), offset: max(0, offset)).fetchAll(db)
        }
    }

    /// The outcome of ``resolve(_:status:resolution:resolvedBy:remember:at:)``.
    public enum Resolution: Sendable, Equatable {
        /// This call resolved it.
        case resolved(Approval)
        /// It was no longer pending: its current state.
        case alreadyResolved(Approval)
    }

    /// Moves a pending approval to `status` (not `.pending`), if it is still pending.
    public func resolve(
        _ id: String, status: Approval.Status, resolution: String?, resolvedBy: String?,
        remember: Approval.Remember = .none, at date: Date = Date()
    ) throws(StoreError) -> Resolution {
        precondition(status != .pending, "resolving to pending")
        return try database.write { db in
            try db.execute(
                sql: """
                    UPDATE approvals SET status = ?, resolution = ?, resolved_by = ?, remember = ?, resolved_at = ?
                    WHERE id = ? AND status = 'pending'
                    """,
                arguments: [status.rawValue, resolution, resolvedBy, remember.rawValue, date, id])
            let changed = db.changesCount == 1
            guard let current = try Approval.fetchOne(db, key: id) else {
                throw StoreError.notFound(kind: "approval", key: id)
            }
            return changed ? .resolved(current) : .alreadyResolved(current)
        }
    }

    /// Marks every pending approval `expired` (a daemon starting: whoever waited is gone), except
    /// those of `keepingSessions`. Returns the approvals it expired.
    @discardableResult
    public func expirePending(keepingSessions: Set<String> = [], reason: String, at date: Date = Date())
        throws(StoreError) -> [Approval]
    {
        try database.write { db in
            let pending = try Approval.filter(Column("status") == Approval.Status.pending.rawValue).fetchAll(db)
                .filter { $0.sessionId.map { !keepingSessions.contains($0) } ?? true }
            var expired: [Approval] = []
            for var approval in pending {
                try db.execute(
                    sql: """
                        UPDATE approvals SET status = 'expired', resolution = ?, resolved_at = ?
                        WHERE id = ? AND status = 'pending'
                        """,
                    arguments: [reason, date, approval.id])
                approval.status = .expired
                approval.resolution = reason
                approval.resolvedAt = date
                expired.append(approval)
            }
            return expired
        }
    }

    /// Counts by status (for the dashboard and `junction approvals list`).
    public func counts() throws(StoreError) -> [Approval.Status: Int] {
        try database.read { db in
            var counts: [Approval.Status: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM approvals GROUP BY status") {
                if let status = Approval.Status(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }
}
