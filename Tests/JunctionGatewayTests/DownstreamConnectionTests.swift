import Foundation
import JunctionCore
import Synchronization
import Testing

@testable import JunctionGateway

@Suite("DownstreamConnection")
struct DownstreamConnectionTests {
    /// Runs `body` with a connection to a fresh fake server, then stops it and waits until the
    /// process is gone.
    private func withConnection(
        environment: [String: String] = [:],
        _ body: (DownstreamConnection) async throws -> Void
    ) async throws {
        let connection = try DownstreamConnection(
            server: "fake", command: FakeServer.command, arguments: [FakeServer.script],
            environment: DownstreamPool.baseEnvironment().merging(environment) { _, new in new }, cwd: nil,
            logPath: nil, maxMessageBytes: 1 << 20, handlers: .init())
        let pid = try #require(connection.pid)
        do {
            try await body(connection)
        } catch {
            connection.kill()
            throw error
        }
        connection.stop(grace: .milliseconds(500))
        try await waitUntil("the fake server (pid \(pid)) exits") { processIsGone(pid) }
    }

    private func call(
        _ connection: DownstreamConnection, _ tool: String, _ arguments: String = "{}",
        timeout: Duration = .seconds(eventBound), maxTimeout: Duration? = nil,
        onProgress: (@Sendable (RawJSON) -> Void)? = nil
    ) async throws -> JSONRPCMessage {
        let params = try RawJSON(validating: Array(#"{"name":"\#(tool)","arguments":\#(arguments)}"#.utf8))
        return try await connection.request(
            "tools/call", params: params, timeout: timeout, maxTimeout: maxTimeout, onProgress: onProgress)
    }

    /// One call answered, so the timing of the next does not include the interpreter's start.
    private func warmUp(_ connection: DownstreamConnection) async throws {
        #expect(try await connection.request("ping", params: nil, timeout: .seconds(eventBound)).kind == .response)
    }

    private func stderrContains(_ connection: DownstreamConnection, _ text: String) -> Bool {
        connection.stderr.tail(200).contains { $0.contains(text) }
    }

    @Test("a request gets its response, sent under Junction's own integer ids")
    func requestResponse() async throws {
        try await withConnection { connection in
            let first = try await call(connection, "echo", #"{"word":"one","big":123456789012345678901234567890}"#)
            #expect(first.kind == .response)
            #expect(first.id == RawJSON(integer: 1))
            let arguments = try #require(first.result?["structuredContent"]?["arguments"])
            #expect(arguments.description == #"{"word":"one","big":123456789012345678901234567890}"#)

            let second = try await call(connection, "echo", #"{"word":"two"}"#)
            #expect(second.id == RawJSON(integer: 2))
            try await waitUntil("the server logs both ids") {
                stderrContains(connection, "request tools/call id=1")
                    && stderrContains(connection, "request tools/call id=2")
            }
        }
    }

    @Test("concurrent requests answered out of order each get their own response")
    func outOfOrder() async throws {
        try await withConnection { connection in
            let delays = [400, 300, 200, 100, 0]
            try await withThrowingTaskGroup(of: (Int, JSONRPCMessage).self) { group in
                for delay in delays {
                    group.addTask {
                        (delay, try await call(connection, "echo", #"{"delay_ms":\#(delay),"tag":"t\#(delay)"}"#))
                    }
                }
                var answered = 0
                for try await (delay, response) in group {
                    answered += 1
                    #expect(response.kind == .response)
                    #expect(
                        response.result?["structuredContent"]?["arguments"]?["tag"]?.stringValue == "t\(delay)")
                }
                #expect(answered == delays.count)
            }
        }
    }

    @Test("progress reaches the caller with Junction's token and keeps a long call alive past its timeout")
    func progressExtendsDeadline() async throws {
        try await withConnection { connection in
            let tokens = Mutex<[String]>([])
            try await warmUp(connection)
            // 25 steps of 100 ms: 2.5 s in all, well past the 1.5 s timeout, each step well within it.
            let response = try await call(
                connection, "slow", #"{"steps":25,"interval_ms":100}"#, timeout: .milliseconds(1500),
                onProgress: { params in
                    tokens.withLock { $0.append(params["progressToken"]?.description ?? "none") }
                })
            #expect(response.kind == .response)
            #expect(response.result?["content"]?.elements?.first?["text"]?.stringValue == "slow done after 25 steps")
            let received = tokens.withLock { $0 }
            #expect(received.count == 25)
            #expect(Set(received) == [response.id?.description ?? "?"])
        }
    }

    @Test("progress never extends a call past its maximum")
    func progressStopsAtMaximum() async throws {
        try await withConnection { connection in
            try await warmUp(connection)
            let error = await #expect(throws: DownstreamError.self) {
                try await call(
                    connection, "slow", #"{"steps":400,"interval_ms":50}"#, timeout: .milliseconds(500),
                    maxTimeout: .seconds(1), onProgress: { _ in })
            }
            guard case .timeout(let server, _)? = error else {
                Issue.record("expected a timeout, got \(String(describing: error))")
                return
            }
            #expect(server == "fake")
            try await waitUntil("the server hears that the call was cancelled") {
                stderrContains(connection, "slow stopped early id=2")
            }
        }
    }

    @Test("a call past its deadline fails with timeout and the server receives notifications/cancelled")
    func timeout() async throws {
        try await withConnection { connection in
            let error = await #expect(throws: DownstreamError.self) {
                try await call(connection, "sleep_forever", timeout: .milliseconds(300))
            }
            guard case .timeout(let server, let seconds)? = error else {
                Issue.record("expected a timeout, got \(String(describing: error))")
                return
            }
            #expect(server == "fake")
            #expect(seconds == 0.3)
            #expect(error?.code == JSONRPCErrorCode.timeout)
            #expect(error?.description.contains("did not answer within") == true)
            try await waitUntil("the server logs the cancellation") {
                stderrContains(connection, "cancelled requestId=1 reason=timed out in Junction")
            }
            // The connection is still usable.
            #expect(try await call(connection, "echo").kind == .response)
        }
    }

    @Test("cancelling the calling task fails the call with cancelled and tells the server")
    func taskCancellation() async throws {
        try await withConnection { connection in
            let task = Task { try await call(connection, "sleep_forever") }
            try await waitUntil("the server receives the call") {
                stderrContains(connection, "request tools/call id=1")
            }
            task.cancel()
            let error = await #expect(throws: DownstreamError.self) { try await task.value }
            guard case .cancelled? = error else {
                Issue.record("expected cancelled, got \(String(describing: error))")
                return
            }
            try await waitUntil("the server logs the cancellation") {
                stderrContains(connection, "cancelled requestId=1 reason=cancelled by the client")
            }
            try await waitUntil("the server's handler wakes") {
                stderrContains(connection, "sleep_forever woke by cancellation id=1")
            }
        }
    }

    @Test("a call from an already cancelled task fails at once without reaching the server")
    func alreadyCancelled() async throws {
        try await withConnection { connection in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await call(connection, "echo")
            }
            let error = await #expect(throws: DownstreamError.self) { try await task.value }
            if case .cancelled? = error {} else { Issue.record("expected cancelled, got \(String(describing: error))") }
            let next = try await call(connection, "echo")
            #expect(next.kind == .response)
            #expect(!stderrContains(connection, "request tools/call id=1"))
        }
    }

    @Test("a crash fails every pending call at once, naming the server and quoting its last stderr lines")
    func crash() async throws {
        let connection = try DownstreamConnection(
            server: "fake", command: FakeServer.command, arguments: [FakeServer.script],
            environment: DownstreamPool.baseEnvironment(), cwd: nil, logPath: nil, maxMessageBytes: 1 << 20,
            handlers: .init())
        let pid = try #require(connection.pid)
        let pending = Task { try await call(connection, "sleep_forever") }
        try await waitUntil("the server receives the first call") {
            stderrContains(connection, "request tools/call id=1")
        }
        let crashError = await #expect(throws: DownstreamError.self) {
            _ = try await call(connection, "stderr", #"{"lines":["last words before the crash"]}"#)
            return try await call(connection, "crash")
        }
        let pendingError = await #expect(throws: DownstreamError.self) { try await pending.value }
        for error in [crashError, pendingError] {
            guard case .unavailable(let server, let reason, let stderr)? = error else {
                Issue.record("expected unavailable, got \(String(describing: error))")
                continue
            }
            #expect(server == "fake")
            #expect(reason == "exited with status 3")
            #expect(stderr.contains("last words before the crash"), "\(stderr)")
            #expect(stderr.contains("crashing on purpose"), "\(stderr)")
            #expect(error?.description.contains("server 'fake' is unavailable: exited with status 3") == true)
            #expect(error?.code == JSONRPCErrorCode.downstreamUnavailable)
        }
        #expect(!connection.isRunning)
        // Later calls fail the same way without waiting.
        let later = await #expect(throws: DownstreamError.self) { try await call(connection, "echo") }
        guard case .unavailable? = later else {
            Issue.record("expected unavailable, got \(String(describing: later))")
            return
        }
        try await waitUntil("the crashed process is reaped") { processIsGone(pid) }
    }

    @Test("non-JSON output on stdout is ignored, kept in the stderr log, and the next call works")
    func garbage() async throws {
        try await withConnection { connection in
            let response = try await call(connection, "garbage")
            #expect(response.result?["content"]?.elements?.first?["text"]?.stringValue == "after garbage")
            #expect(stderrContains(connection, "[junction] ignored non-JSON-RPC output: this is not JSON at all"))
            #expect(try await call(connection, "echo", #"{"after":true}"#).kind == .response)
        }
    }

    @Test("stderr lines are kept, in order, for error messages")
    func stderrTail() async throws {
        try await withConnection { connection in
            _ = try await call(connection, "stderr", #"{"lines":["alpha","beta","gamma"]}"#)
            try await waitUntil("the stderr lines are read") { stderrContains(connection, "gamma") }
            let tail = connection.stderr.tail(3)
            #expect(tail == ["alpha", "beta", "gamma"])
        }
    }
}
