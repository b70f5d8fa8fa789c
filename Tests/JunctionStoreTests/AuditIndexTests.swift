import GRDB
import JunctionStore
import Testing

@Suite("Audit indexes")
struct AuditIndexTests {
    @Test("the dashboard's range scans read only the covering index, never the table")
    func rangeScansAreCovered() throws {
        let store = try TestStore()
        let scans = [
            "SELECT count(*), total(latency_ms), count(CASE WHEN status = 'error' THEN 1 END),"
                + " count(CASE WHEN cache_hit = 1 THEN 1 END) FROM audit_records"
                + " WHERE created_at >= '2026-01-01' AND created_at <= '2026-01-08' AND kind = 'call'",
            "SELECT latency_ms FROM audit_records WHERE created_at >= '2026-01-01' AND created_at <= '2026-01-08' AND kind = 'call'",
            "SELECT tool_name, count(*), avg(latency_ms), max(created_at) FROM audit_records"
                + " WHERE created_at >= '2026-01-01' AND created_at <= '2026-01-08' AND kind = 'call' GROUP BY tool_name",
            "SELECT rule_id, count(*) FROM audit_records"
                + " WHERE created_at >= '2026-01-01' AND created_at <= '2026-01-08' AND kind = 'call' GROUP BY rule_id",
            "SELECT status, error_code, count(*) FROM audit_records"
                + " WHERE created_at >= '2026-01-01' AND created_at <= '2026-01-08' AND kind = 'call' GROUP BY status, error_code",
        ]
        for sql in scans {
            let plan = try store.database.reader.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }
            }
            #expect(
                plan.contains { $0.contains("COVERING INDEX audit_created_covering") }, "\(sql): \(plan)")
        }
    }
}
