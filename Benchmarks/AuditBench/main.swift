// Audit benchmark: audit records per second the batched writer sustains into a real SQLite file
// (WAL, as the daemon opens it), each call's arguments redacted as the engine does, and what
// queuing a record costs the caller meanwhile (calls never wait for the database).
// Run in release: `swift run -c release AuditBench [--quick]`; prints one JSON object.
import Foundation
import JunctionCore
import JunctionStore

let quick = CommandLine.arguments.contains("--quick")
let total = quick ? 50_000 : 300_000
let runs = quick ? 2 : 3

func nanoseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

struct Run {
    var recordsPerSecond: Double
    var recordP50: Double
    var recordP99: Double
    var recordMax: Double
    var written: Int
    var dropped: Int
    var batches: Int
}

/// Producer on a thread of its own (as calls are): builds, redacts and queues `total` records as
/// fast as it can, pausing only while the queue holds half its capacity (a sustained rate, not a
/// burst the bounded queue would drop). The rate is records committed per second until the last
/// one is in the database.
func run(directory: String) async throws -> Run {
    let database = try AppDatabase.open(path: (directory as NSString).appendingPathComponent("junction.db"))
    let writer = AuditWriter(repository: AuditRepository(database))
    let redactor = Redactor(secretValues: ["sk-live-0123456789abcdef"])
    let arguments = Array(
        #"{"path":"/home/dev/work/app/src/main.swift","text":"hello","api_key":"sk-live-0123456789abcdef","n":42}"#
            .utf8)
    // Owned here: cancelled once the producer's records are all written.
    let writing = Task { await writer.run() }
    let started = ContinuousClock.now
    let costs = await withCheckedContinuation { (continuation: CheckedContinuation<[Double], Never>) in
        let producer = Thread {
            var costs: [Double] = []
            costs.reserveCapacity(total)
            for index in 0..<total {
                while writer.stats.pending > writer.capacity / 2 { usleep(200) }
                var record = AuditRecord(
                    sessionId: "01SESSION", clientName: "bench", workspaceName: "app",
                    clientRoot: "/home/dev/work/app", toolName: "mini__echo", downstreamId: "01DOWNSTREAM",
                    downstreamName: "mini", decision: .allow, status: .ok, paramsBytes: arguments.count,
                    resultBytes: 120, latencyMs: 0.2, requestId: String(index))
                record.params = String(decoding: redactor.redact(arguments), as: UTF8.self)
                let before = ContinuousClock.now
                writer.record(record)
                costs.append(nanoseconds(ContinuousClock.now - before))
            }
            continuation.resume(returning: costs)
        }
        producer.start()
    }
    await writer.flush()
    let elapsed = ContinuousClock.now - started
    writing.cancel()
    await writing.value
    let stats = writer.stats
    let sorted = costs.sorted()
    return Run(
        recordsPerSecond: Double(stats.written) / (nanoseconds(elapsed) / 1e9), recordP50: percentile(sorted, 0.5),
        recordP99: percentile(sorted, 0.99), recordMax: sorted.last ?? 0, written: stats.written,
        dropped: stats.dropped, batches: stats.batches)
}

var results: [Run] = []
for _ in 0..<runs {
    let directory = NSTemporaryDirectory() + "junction-auditbench-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    results.append(try await run(directory: directory))
}

func median(_ values: [Double]) -> Double {
    values.sorted()[values.count / 2]
}

let summary: [String: Double] = [
    "records": Double(total),
    "runs": Double(runs),
    "records_per_second": median(results.map(\.recordsPerSecond)),
    "record_p50_ns": median(results.map(\.recordP50)),
    "record_p99_ns": median(results.map(\.recordP99)),
    "record_max_ns": median(results.map(\.recordMax)),
    "dropped": Double(results.map(\.dropped).reduce(0, +)),
    "batches": median(results.map { Double($0.batches) }),
]
let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
print(String(decoding: data, as: UTF8.self))
