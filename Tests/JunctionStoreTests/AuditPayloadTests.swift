import Foundation
import GRDB
import JunctionCore
import Testing

@testable import JunctionStore

@Suite("Audit payload cap")
struct AuditPayloadTests {
    @Test("params over the limit are stored as a marker: valid JSON, the original size, a preview")
    func paramsAreCut() async throws {
        let store = try TestStore()
        let writer = AuditWriter(repository: store.audit, flushInterval: .milliseconds(5))
        writer.setMaxPayloadBytes(2048)
        let big = #"{"text":""# + String(repeating: "é\"\n", count: 100_000) + #""}"#
        var record = AuditRecord(id: "big", toolName: "fs__write", decision: .allow, status: .error)
        record.params = big
        record.paramsBytes = big.utf8.count
        record.errorMessage = String(repeating: "boom ", count: 10_000)
        writer.record(record)
        var small = AuditRecord(id: "small", toolName: "fs__write", decision: .allow, status: .ok)
        small.params = #"{"a":1}"#
        writer.record(small)
        #expect(await writer.flush())

        let rows = try store.database.reader.read { db in
            try Row.fetchAll(db, sql: "SELECT id, params, error_message FROM audit_records ORDER BY id")
        }
        let stored: String = try #require(rows.first { $0["id"] == "big" }?["params"])
        #expect(stored.utf8.count <= 2048)
        let marker = try #require(
            try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: Any], "valid JSON")
        #expect(marker["_truncated"] as? Bool == true)
        #expect(marker["original_bytes"] as? Int == big.utf8.count)
        let preview = try #require(marker["preview"] as? String)
        #expect(big.hasPrefix(preview) && preview.count > 100)
        let message: String = try #require(rows.first { $0["id"] == "big" }?["error_message"])
        #expect(message.utf8.count <= 2048 && message.hasSuffix("[cut: 50000 bytes in all]"))
        #expect(rows.first { $0["id"] == "small" }?["params"] == #"{"a":1}"#)
    }

    @Test("the marker never exceeds the limit, whatever the text", arguments: [1024, 1500, 65536])
    func markerFits(limit: Int) throws {
        for text in [
            String(repeating: "\u{01}", count: 200_000), String(repeating: "日本", count: 100_000),
            String(repeating: "\\", count: 200_000),
        ] {
            let capped = AuditPayload.capped(json: text, limit: limit)
            #expect(capped.utf8.count <= limit)
            #expect(try JSONSerialization.jsonObject(with: Data(capped.utf8)) is [String: Any])
        }
    }
}
