import Foundation
import GRDB
import JunctionCore

/// Client sessions: opened when a client connects, touched while it talks, closed when it goes.
public struct SessionRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// Records a new, active session. A workspace that no longer exists is recorded as none: a
    /// session must never fail to start over bookkeeping.
    @discardableResult
    public func open(_ session: SessionInfo) throws(StoreError) -> SessionInfo {
        var session = session
        session.status = .active
        session.endedAt = nil
        return try database.write { [session] db in
            var session = session
            if let workspaceId = session.workspaceId, try !Workspace.exists(db, key: workspaceId) {
                session.workspaceId = nil
            }
            guard try !SessionInfo.exists(db, key: session.id) else {
                throw StoreError.duplicate(kind: "session", field: "id", value: session.id)
            }
            try session.insert(db)
            return session
        }
    }

    /// Marks an active session as seen at `date`; false when no active session has this id.
    @discardableResult
    public func touch(_ id: String, at date: Date = Date()) throws(StoreError) -> Bool {
        try database.write { db in
            try db.execute(
                sql: "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND status = 'active'", arguments: [date, id])
            return db.changesCount > 0
        }
    }

    /// Closes a session (idempotent: a closed session keeps its end time); nil when unknown.
    @discardableResult
    public func close(_ id: String, at date: Date = Date()) throws(StoreError) -> SessionInfo? {
        try database.write { db in
            try db.execute(
                sql: """
                    UPDATE sessions SET status = 'closed', ended_at = ?, last_seen_at = max(last_seen_at, ?)
                    WHERE id = ? AND status = 'active'
                    """,
                arguments: [date, date, id])
            return try SessionInfo.fetchOne(db, key: id)
        }
    }

    public func find(_ id: String) throws(StoreError) -> SessionInfo? {
        try database.read { db in try SessionInfo.fetchOne(db, key: id) }
    }

    /// Sessions newest first; only active (or only closed) ones when `active` is given.
    public func list(active: Bool? = nil, limit: Int? = nil) throws(StoreError) -> [SessionInfo] {
        try database.read { db in
            var request = SessionInfo.order(Column("started_at").desc, Column("id").desc)
            if let active {
                request = request.filter(Column("status") == (active ? "active" : "closed"))
            }
            if let limit { request = request.limit(max(limit, 0)) }
            return try request.fetchAll(db)
        }
    }

    /// Closes every active session except `ids`, ending each when it was last seen. The daemon
    /// calls this as it starts: sessions of a previous run that did not close cleanly are over.
    @discardableResult
    public func closeAll(except ids: Set<String> = []) throws(StoreError) -> Int {
        try database.write { db in
            try SessionInfo
                .filter(Column("status") == "active")
                .filter(!ids.contains(Column("id")))
                .updateAll(db, Column("status").set(to: "closed"), Column("ended_at").set(to: Column("last_seen_at")))
        }
    }

    /// Deletes closed sessions that ended before `date`; returns how many went.
    @discardableResult
    public func prune(closedBefore date: Date) throws(StoreError) -> Int {
        try database.write { db in
            try SessionInfo
                .filter(Column("status") == "closed" && Column("ended_at") < date)
                .deleteAll(db)
        }
    }
}
