import Foundation
import GRDB
import JunctionCore
import JunctionStore
import Testing

@Suite("AuditJournal", .timeLimit(.minutes(1)))
struct AuditJournalTests {
    let store: TestStore
    let directory: String

    init() throws {
        store = try TestStore()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(ULID.make())").path
    }

    func storedIds() throws -> [String] {
        try store.database.reader.read { db in
            try String.fetchAll(db, sql: "SELECT id FROM audit_records ORDER BY id")
        }
    }

    /// The pid of a process that has exited.
    static func deadPID() throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        return process.processIdentifier
    }

    @Test("records a killed process journaled are inserted by the next writer, once, and its file goes")
    func replaysOrphans() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let orphanPath = "\(directory)/\(try Self.deadPID()).jsonl"
        // One record the dead process had committed before it died, two it had not.
        try await store.audit.insert([AuditRecord(id: "A1", toolName: "gh__a", decision: .allow, status: .ok)])
        func line(_ id: String, _ status: String, params: String?) throws -> String {
            var object: [String: Any] = [
                "id": id, "createdAt": 1_700_000_000_000, "method": "tools/call", "toolName": "gh__x",
                "decision": "allow", "status": status, "paramsBytes": 7, "resultBytes": 0, "latencyMs": 1.5,
                "cacheHit": false,
            ]
            if let params { object["params"] = params }
            return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
        }
        let text = [
            try line("A1", "ok", params: nil), try line("A2", "denied", params: #"{"q":1}"#),
            try line("A3", "error", params: nil), #"{"id":"cut-by-the-cra"#,
        ].joined(separator: "\n")
        try Data(text.utf8).write(to: URL(fileURLWithPath: orphanPath))

        let writer = AuditWriter(repository: store.audit, journal: try AuditJournal(directory: directory))
        let runner = Task { await writer.run() }
        while writer.stats.recovered < 2 { await Task.yield() }
        #expect(try storedIds() == ["A1", "A2", "A3"])
        #expect(writer.stats.recovered == 2)
        #expect(!FileManager.default.fileExists(atPath: orphanPath))
        runner.cancel()
        await runner.value
    }

    @Test("a writer's journal empties once its records are committed, and is removed on a clean stop")
    func emptiesAndGoes() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try AuditJournal(directory: directory)
        let writer = AuditWriter(repository: store.audit, flushInterval: .milliseconds(5), journal: journal)
        let runner = Task { await writer.run() }
        for index in 0..<20 {
            writer.record(AuditRecord(id: String(format: "J%03d", index), toolName: "t", decision: .allow, status: .ok))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: journal.path)).count > 0)
        #expect(await writer.flush())
        #expect(try Data(contentsOf: URL(fileURLWithPath: journal.path)).isEmpty)
        runner.cancel()
        await runner.value
        #expect(!FileManager.default.fileExists(atPath: journal.path))
        #expect(try storedIds().count == 20)
    }
}
