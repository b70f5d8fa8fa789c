import Foundation
import JunctionCore

/// An append-only file of the audit records queued but not yet committed, so a process killed
/// with `kill -9` loses none of them: the next start inserts what the file holds (records already
/// stored are skipped by id). Each record is one JSON line, written with one `write(2)` before
/// ``AuditWriter/record(_:)`` returns; the page cache keeps it across a crash of the process (not
/// of the machine: there is no fsync on the call path). The file is emptied whenever every record
/// it holds is committed, and rewritten with just the pending ones when it grows past `limit`.
public final class AuditJournal: Sendable {
    public let path: String
    let descriptor: Int32
    let limit: Int

    /// The file's fields; `params` stays the stored text.
    struct Entry: Codable {
        var id: String
        var createdAt: Date
        var sessionId, clientName, workspaceId, workspaceName, clientRoot: String?
        var method, toolName: String
        var downstreamId, downstreamName, authScopeId, ruleId: String?
        var decision: String
        var status: String
        var errorCode: Int?
        var errorMessage, params: String?
        var paramsBytes, resultBytes: Int
        var latencyMs: Double
        var cacheHit: Bool
        var approvalId, requestId: String?

        init(_ record: AuditRecord) {
            id = record.id
            createdAt = record.createdAt
            sessionId = record.sessionId
            clientName = record.clientName
            workspaceId = record.workspaceId
            workspaceName = record.workspaceName
            clientRoot = record.clientRoot
            method = record.method
            toolName = record.toolName
            downstreamId = record.downstreamId
            downstreamName = record.downstreamName
            authScopeId = record.authScopeId
            ruleId = record.ruleId
            decision = record.decision.rawValue
            status = record.status.rawValue
            errorCode = record.errorCode
            errorMessage = record.errorMessage
            params = record.params
            paramsBytes = record.paramsBytes
            resultBytes = record.resultBytes
            latencyMs = record.latencyMs
            cacheHit = record.cacheHit
            approvalId = record.approvalId
            requestId = record.requestId
        }

        var record: AuditRecord? {
            guard let decision = Policy(rawValue: decision), let status = AuditRecord.Status(rawValue: status) else {
                return nil
            }
            return AuditRecord(
                id: id, createdAt: createdAt, sessionId: sessionId, clientName: clientName, workspaceId: workspaceId,
                workspaceName: workspaceName, clientRoot: clientRoot, method: method, toolName: toolName,
                downstreamId: downstreamId, downstreamName: downstreamName, authScopeId: authScopeId, ruleId: ruleId,
                decision: decision, status: status, errorCode: errorCode, errorMessage: errorMessage, params: params,
                paramsBytes: paramsBytes, resultBytes: resultBytes, latencyMs: latencyMs, cacheHit: cacheHit,
                approvalId: approvalId, requestId: requestId)
        }
    }

    /// This process's journal in `directory` (`PID.jsonl`; created 0700): every process that
    /// writes audit records (the daemon, each embedded `junction stdio`) keeps its own, so one
    /// never empties another's.
    public convenience init(directory: String, limit: Int = 64 << 20) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .database("cannot create the audit journal directory '\(directory)': \(error)")
        }
        try self.init(path: (directory as NSString).appendingPathComponent("\(getpid()).jsonl"), limit: limit)
    }

    /// Opens (creating, 0600) the journal at `path`.
    public init(path: String, limit: Int = 64 << 20) throws(StoreError) {
        self.path = path
        self.limit = limit
        let fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw .database("cannot open the audit journal '\(path)': \(String(cString: strerror(errno)))")
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }()

    /// One line per record, appended with one write.
    func append(_ records: some Sequence<AuditRecord>) {
        var bytes: [UInt8] = []
        for record in records {
            guard let data = try? Self.encoder.encode(Entry(record)) else { continue }
            bytes.append(contentsOf: data)
            bytes.append(0x0A)
        }
        write(bytes)
    }

    private func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Foundation.write(descriptor, $0.baseAddress! + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                return  // a full disk: the records are still queued in memory
            }
            offset += written
        }
    }

    /// Empties the file (every record in it is committed).
    func clear() {
        _ = ftruncate(descriptor, 0)
    }

    /// Replaces the file's content with `pending` when it has grown past the limit.
    func compact(keeping pending: some Sequence<AuditRecord>) {
        var info = stat()
        guard fstat(descriptor, &info) == 0, Int(info.st_size) > limit else { return }
        _ = ftruncate(descriptor, 0)
        append(pending)
    }

    /// Journals of processes that are gone, beside this one, with the records they hold.
    func orphans() -> [(path: String, records: [AuditRecord])] {
        let directory = (path as NSString).deletingLastPathComponent
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { name in
            guard name.hasSuffix(".jsonl"), let pid = Int32(name.dropLast(6)), pid != getpid() else { return nil }
            if kill(pid, 0) == 0 || errno == EPERM { return nil }  // still running: its own to replay
            let file = (directory as NSString).appendingPathComponent(name)
            return (file, Self.records(at: file))
        }
    }

    /// Removes this journal's file (on a clean exit, once everything is committed).
    func remove() {
        unlink(path)
    }

    /// The records of a journal file (lines that do not parse are skipped: the last one may have
    /// been cut by the crash).
    static func records(at path: String) -> [AuditRecord] {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return data.split(separator: 0x0A).compactMap { line in
            (try? decoder.decode(Entry.self, from: Data(line)))?.record
        }
    }
}
