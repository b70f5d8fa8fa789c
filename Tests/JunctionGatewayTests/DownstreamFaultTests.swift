import Foundation
import JunctionCore
import Testing

@testable import JunctionGateway

/// A downstream that misbehaves on the wire: answers too large to take, secrets on stderr.
@Suite("Downstream faults")
struct DownstreamFaultTests {
    private func connection(
        maxMessageBytes: Int = 1 << 20, secretValues: [String] = [], logPath: String? = nil
    ) throws -> DownstreamConnection {
        try DownstreamConnection(
            server: "fake", command: FakeServer.command, arguments: [FakeServer.script],
            environment: DownstreamPool.baseEnvironment(), cwd: nil, logPath: logPath,
            maxMessageBytes: maxMessageBytes, secretValues: secretValues, handlers: .init())
    }

    private func stop(_ connection: DownstreamConnection) async throws {
        let pid = connection.pid
        connection.stop(grace: .milliseconds(500))
        if let pid { try await waitUntil("the fake server (pid \(pid)) exits") { processIsGone(pid) } }
    }

    @Test("an answer over max_message_bytes fails its call at once, naming the server and the size")
    func oversizedAnswerFailsAtOnce() async throws {
        let connection = try connection(maxMessageBytes: 64 * 1024)
        // echo answers with its params: 200 KB of them make an answer over the 64 KiB limit.
        let text = String(repeating: "x", count: 200_000)
        let params = try RawJSON(validating: Array(#"{"name":"echo","arguments":{"text":"\#(text)"}}"#.utf8))
        let started = ContinuousClock.now
        do {
            _ = try await connection.request("tools/call", params: params, timeout: .seconds(120))
            Issue.record("the oversized answer was taken")
        } catch let error as DownstreamError {
            guard case .messageTooLarge(let server, let bytes, let limit) = error else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(server == "fake" && limit == 64 * 1024 && bytes > 400_000)
            #expect(error.code == JSONRPCErrorCode.messageTooLarge)
            #expect(error.description.contains("over the limit of 65536 bytes"))
        }
        #expect(ContinuousClock.now - started < .seconds(60), "failed at once, not at the 120 s deadline")
        #expect(connection.stderr.tail().contains { $0.contains("[junction] server 'fake' answered with a message") })
        // The connection carries on.
        #expect(try await connection.request("ping", params: nil, timeout: .seconds(eventBound)).kind == .response)
        try await stop(connection)
    }

    @Test("the scope's secret values are redacted in stderr excerpts and in the server's log")
    func stderrIsRedacted() async throws {
        let directory = try TemporaryDirectory()
        let logPath = directory.file("fake.log")
        let secret = "s3cr3t-t0ken-value"
        let connection = try connection(secretValues: [secret, "no"], logPath: logPath)
        let params = try RawJSON(
            validating: Array(
                #"{"name":"stderr","arguments":{"lines":["auth failed for \#(secret)!","plain line"]}}"#.utf8))
        let answer = try await connection.request("tools/call", params: params, timeout: .seconds(eventBound))
        #expect(answer.kind == .response)
        try await waitUntil("the stderr lines arrive") {
            connection.stderr.tail(200).contains { $0.contains("plain line") }
        }
        let tail = connection.stderr.tail(200)
        #expect(tail.contains("auth failed for [REDACTED]!"))
        #expect(!tail.joined().contains(secret))
        // Too short to search for ("no"): left alone.
        #expect(tail.contains("plain line"))
        try await stop(connection)
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(log.contains("auth failed for [REDACTED]!"))
        #expect(!log.contains(secret))
    }

    @Test("a flood of short stderr lines is taken in linear time and keeps the last lines")
    func stderrFlood() {
        let log = StderrLog(logPath: nil, maxLines: 200)
        var chunk: [UInt8] = []
        for index in 0..<6_000 { chunk += Array("line \(index)\n".utf8) }
        let started = ContinuousClock.now
        for _ in 0..<100 { log.append(chunk) }
        let elapsed = ContinuousClock.now - started
        #expect(log.tail(2) == ["line 5998", "line 5999"])
        // Generous: the quadratic version took minutes for this.
        #expect(elapsed < .seconds(30), "took \(elapsed)")
    }
}
