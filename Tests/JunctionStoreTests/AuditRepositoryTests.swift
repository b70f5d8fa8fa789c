import Foundation
import GRDB
import JunctionCore
import Testing

@testable import JunctionStore

@Suite("AuditRepository")
struct AuditRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    static let base = Date(timeIntervalSince1970: 1_700_000_000)

    /// A record `seconds` after ``base``.
    static func record(
        _ id: String, at seconds: Int = 0, session: String? = "s1", workspace: String? = "w1",
        tool: String = "gh__search", status: AuditRecord.Status = .ok, downstream: String? = "d1"
    ) -> AuditRecord {
        AuditRecord(
            id: id, createdAt: base.addingTimeInterval(TimeInterval(seconds)), sessionId: session,
            workspaceId: workspace, toolName: tool, downstreamId: downstream, decision: .allow, status: status)
    }

    @Test("the bytes migration is applied: params_bytes exists, defaults to 0 and refuses negatives")
    func bytesMigration() throws {
        #expect(AppDatabase.knownMigrations.prefix(2) == ["0001_init", "0002_audit_bytes"])
        let columns = try store.database.reader.read { db in try db.columns(in: "audit_records") }
        let column = try #require(columns.first { $0.name == "params_bytes" })
        #expect(column.type == "INTEGER" && column.isNotNull && column.defaultValueSQL == "0")

        try store.database.writer.write { db in
            try db.execute(
                sql: """
                    INSERT INTO audit_records (id, created_at, tool_name, decision, status)
                    VALUES ('raw', '2025-01-01 00:00:00.000', 't', 'allow', 'ok')
                    """)
        }
        #expect(try store.audit.find("raw")?.paramsBytes == 0)
        let error = #expect(throws: DatabaseError.self) {
            try store.database.writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO audit_records (id, created_at, tool_name, decision, status, params_bytes)
                        VALUES ('neg', '2025-01-01 00:00:00.000', 't', 'allow', 'ok', -1)
                        """)
            }
        }
        #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_CHECK)
    }

    @Test("a database created before the bytes migration is upgraded in place and keeps its records")
    func upgradeFromVersionOne() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("old.db")
        do {
            // What Junction 0001 would have left behind.
            let queue = try DatabaseQueue(path: path)
            var migrator = DatabaseMigrator()
            for migration in EmbeddedMigrations.all.prefix(1) {
                migrator.registerMigration(migration.identifier) { db in try db.execute(sql: migration.sql) }
            }
            try migrator.migrate(queue)
            try queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO audit_records (id, created_at, tool_name, decision, status, result_bytes)
                        VALUES ('old', '2025-01-01 00:00:00.000', 't', 'deny', 'denied', 12)
                        """)
            }
            try queue.close()
        }
        let database = try AppDatabase.open(path: path)
        let old = try #require(try AuditRepository(database).find("old"))
        #expect(old.paramsBytes == 0 && old.resultBytes == 12 && old.status == .denied && old.decision == .deny)
    }

    @Test("every field round-trips, latency to the microsecond")
    func roundTrip() throws {
        var record = AuditRecord(
            id: "a1", createdAt: Self.base, sessionId: "s1", clientName: "claude-code", workspaceId: "w1",
            workspaceName: "app", clientRoot: "/work/app", method: "tools/call", toolName: "gh__create_issue",
            downstreamId: "d1", downstreamName: "github", authScopeId: "as1", ruleId: "r1", decision: .approve,
            status: .approvalTimeout, errorCode: -32001, errorMessage: "approval timed out",
            params: #"{"title":"x","token":"[REDACTED]"}"#, paramsBytes: 120, resultBytes: 0, cacheHit: true,
            approvalId: "ap1", requestId: #""req-7""#)
        record.latencyMicros = 12_345
        try store.audit.insert([record])
        let stored = try #require(try store.audit.find("a1"))
        #expect(stored == record)
        #expect(stored.latencyMs == 12.345 && stored.latencyMicros == 12_345)
    }

    @Test("latency is set from a Duration to the microsecond and never goes negative")
    func latency() {
        var record = Self.record("x")
        record.setLatency(.microseconds(1_500_250))
        #expect(record.latencyMicros == 1_500_250 && record.latencyMs == 1500.25)
        record.setLatency(.nanoseconds(999))
        #expect(record.latencyMicros == 0)
        record.latencyMicros = -5
        #expect(record.latencyMs == 0)
    }

    @Test("records come newest first, ties by id, a page at a time")
    func orderingAndPaging() throws {
        try store.audit.insert([
            Self.record("01A", at: 10), Self.record("01C", at: 30), Self.record("01B", at: 30),
            Self.record("01D", at: 20), Self.record("01E", at: 40),
        ])
        #expect(try store.audit.query().map(\.id) == ["01E", "01C", "01B", "01D", "01A"])
        #expect(try store.audit.query(AuditQuery(limit: 2)).map(\.id) == ["01E", "01C"])
        #expect(try store.audit.query(AuditQuery(limit: 2, offset: 2)).map(\.id) == ["01B", "01D"])
        #expect(try store.audit.query(AuditQuery(limit: 2, offset: 4)).map(\.id) == ["01A"])
        #expect(try store.audit.query(AuditQuery(offset: 9)).isEmpty)
        #expect(try store.audit.query(AuditQuery(limit: 0)).map(\.id) == ["01E"])
        #expect(try store.audit.query(AuditQuery(offset: -3)).count == 5)
        #expect(try store.audit.count() == 5)
        #expect(try store.audit.count(AuditQuery(limit: 1, offset: 3)) == 5)
    }

    @Test("the page size defaults to 100 and is capped at 1000")
    func limits() throws {
        try store.audit.insert((0..<1005).map { Self.record(String(format: "R%05d", $0), at: $0) })
        #expect(try store.audit.query().count == 100)
        #expect(try store.audit.query(AuditQuery(limit: 5000)).count == 1000)
        #expect(AuditQuery(limit: 5000).effectiveLimit == 1000)
        #expect(try store.audit.records(afterId: nil, limit: 5000).count == 1000)
        #expect(try store.audit.count() == 1005)
    }

    @Test("each filter narrows the results and they combine")
    func filters() throws {
        try store.audit.insert([
            Self.record("1", at: 1, session: "s1", workspace: "w1", tool: "gh__a", status: .ok),
            Self.record("2", at: 2, session: "s1", workspace: "w2", tool: "gh__b", status: .error),
            Self.record("3", at: 3, session: "s2", workspace: "w1", tool: "gh__a", status: .denied, downstream: "d2"),
            Self.record("4", at: 4, session: nil, workspace: nil, tool: "fs__read", status: .ok, downstream: nil),
            Self.record("5", at: 5, session: "s2", workspace: "w2", tool: "gh__a", status: .cancelled),
        ])
        func ids(_ query: AuditQuery) throws -> [String] { try store.audit.query(query).map(\.id) }

        #expect(try ids(AuditQuery(sessionId: "s1")) == ["2", "1"])
        #expect(try ids(AuditQuery(workspaceId: "w1")) == ["3", "1"])
        #expect(try ids(AuditQuery(downstreamId: "d2")) == ["3"])
        #expect(try ids(AuditQuery(toolName: "gh__a")) == ["5", "3", "1"])
        #expect(try ids(AuditQuery(status: .ok)) == ["4", "1"])
        #expect(try ids(AuditQuery(after: Self.base.addingTimeInterval(3))) == ["5", "4"])
        #expect(try ids(AuditQuery(before: Self.base.addingTimeInterval(3))) == ["2", "1"])
        #expect(
            try ids(AuditQuery(after: Self.base.addingTimeInterval(1), before: Self.base.addingTimeInterval(5)))
                == ["4", "3", "2"])
        #expect(try ids(AuditQuery(sessionId: "s2", toolName: "gh__a", status: .cancelled)) == ["5"])
        #expect(try ids(AuditQuery(sessionId: "nope")).isEmpty)
        #expect(try store.audit.count(AuditQuery(toolName: "gh__a")) == 3)
        #expect(try store.audit.count(AuditQuery(workspaceId: "w2", status: .error)) == 1)
    }

    @Test("records after an id come in ascending id order, a page at a time, so a live feed can resume")
    func recordsAfterId() throws {
        try store.audit.insert([
            Self.record("01C", at: 3), Self.record("01A", at: 1), Self.record("01E", at: 5),
            Self.record("01B", at: 2), Self.record("01D", at: 4),
        ])
        let all = ["01A", "01B", "01C", "01D", "01E"]
        #expect(try store.audit.records(afterId: nil, limit: 10).map(\.id) == all)
        #expect(try store.audit.records(afterId: "01B", limit: 2).map(\.id) == ["01C", "01D"])
        #expect(try store.audit.records(afterId: "01BZ", limit: 10).map(\.id) == ["01C", "01D", "01E"])
        #expect(try store.audit.records(afterId: "01E", limit: 10).isEmpty)
        #expect(try store.audit.records(afterId: nil, limit: 0).map(\.id) == ["01A"])

        // Resuming from the last id delivered, page by page, delivers each record once.
        var delivered: [String] = []
        var lastId: String?
        while true {
            let page = try store.audit.records(afterId: lastId, limit: 2)
            guard let last = page.last else { break }
            delivered += page.map(\.id)
            lastId = last.id
        }
        #expect(delivered == all)
        try store.audit.insert([Self.record("01F", at: 6)])
        #expect(try store.audit.records(afterId: lastId, limit: 2).map(\.id) == ["01F"])
    }

    @Test("prune deletes records older than the cutoff and says how many")
    func prune() throws {
        try store.audit.insert((0..<10).map { Self.record("p\($0)", at: $0 * 60) })
        #expect(try store.audit.prune(olderThan: Self.base.addingTimeInterval(300)) == 5)
        #expect(try store.audit.count() == 5)
        #expect(try store.audit.query().last?.id == "p5")
        #expect(try store.audit.prune(olderThan: Self.base) == 0)
    }

    @Test("inserting a batch is one transaction; an id already stored is skipped, not an error")
    func duplicatesAreSkipped() throws {
        #expect(try store.audit.insert([Self.record("a"), Self.record("b")]) == 2)
        var changed = Self.record("a")
        changed.toolName = "other"
        #expect(try store.audit.insert([changed, Self.record("c")]) == 1)
        #expect(try store.audit.find("a")?.toolName == "gh__search")
        #expect(try store.audit.count() == 3)
        #expect(try store.audit.insert([]) == 0)
    }

    @Test("values the schema would refuse are repaired instead of jamming the batch")
    func repairs() throws {
        var record = Self.record("bad")
        record.params = "not json {"
        record.paramsBytes = -1
        record.resultBytes = -2
        record.latencyMs = -.infinity
        try store.audit.insert([record, Self.record("good")])
        let stored = try #require(try store.audit.find("bad"))
        #expect(stored.params == #""not json {""#)
        #expect(stored.paramsBytes == 0 && stored.resultBytes == 0 && stored.latencyMs == 0)
        #expect(try store.audit.count() == 2)
    }

    @Test("the async insert lands even when the calling task is already cancelled")
    func asyncInsertIgnoresCancellation() async throws {
        let audit = store.audit
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await audit.insert([Self.record("x"), Self.record("y")])
        }
        #expect(try await task.value == 2)
        #expect(try store.audit.count() == 2)
    }

    @Test("JSON encoding writes every key in snake_case, params as JSON, and the latency in µs too")
    func encoding() throws {
        var record = Self.record("e1", session: nil)
        record.params = #"{"q":"x"}"#
        record.latencyMicros = 1500
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .secondsSince1970
        let json = String(decoding: try encoder.encode(record), as: UTF8.self)
        #expect(
            json == #"{"approval_id":null,"auth_scope_id":null,"cache_hit":false,"client_name":null,"#
                + #""client_root":null,"created_at":1700000000,"decision":"allow","error_code":null,"#
                + #""error_message":null,"id":"e1","kind":"call","latency_ms":1.5,"latency_us":1500,"method":"tools/call","#
                + #""params":{"q":"x"},"params_bytes":0,"request_id":null,"result_bytes":0,"rule_id":null,"#
                + #""server_id":"d1","server_name":null,"session_id":null,"status":"ok","tool_name":"gh__search","#
                + #""workspace_id":"w1","workspace_name":null}"#)
        let statuses = AuditRecord.Status.allCases.map(\.rawValue)
        #expect(
            statuses == ["ok", "error", "denied", "timeout", "cancelled", "approval_denied", "approval_timeout"])
    }

    @Test("every status the schema allows can be stored")
    func everyStatus() throws {
        try store.audit.insert(
            AuditRecord.Status.allCases.enumerated().map { Self.record("s\($0.offset)", status: $0.element) })
        for status in AuditRecord.Status.allCases {
            #expect(try store.audit.count(AuditQuery(status: status)) == 1)
        }
    }
}
