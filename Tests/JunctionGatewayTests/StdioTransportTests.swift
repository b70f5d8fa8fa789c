import Foundation
import JunctionCore
import Testing

@testable import JunctionGateway

@Suite("StdioTransport")
struct StdioTransportTests {
    @Test("a server that stops reading its input fails further requests at once, naming why")
    func serverNotReading() async throws {
        let limit = 64 * 1024
        let connection = try DownstreamConnection(
            server: "deaf", command: "/bin/sleep", arguments: ["60"], environment: ["PATH": "/usr/bin:/bin"],
            cwd: nil, logPath: nil, maxMessageBytes: limit, handlers: .init())
        let pid = try #require(connection.pid)
        let padding = String(repeating: "x", count: 16 * 1024)
        let params = try RawJSON(validating: Array(#"{"name":"work","arguments":{"padding":"\#(padding)"}}"#.utf8))
        let requests = 200
        // 3.2 MB for a pipe of 64 KiB (1 MiB at most) and the limit: most are refused at once, and
        // once they are the server is killed, which ends the others.
        let refusedAtLeast = requests - (1 << 20 + 2 * limit) / (16 * 1024)
        let all = try await bounded("every request ends") {
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<requests {
                    group.addTask {
                        do {
                            // No deadline: the ones taken end with the server, however slow the machine.
                            _ = try await connection.request("tools/call", params: params, timeout: nil)
                            return "answered"
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                var all: [String] = []
                for try await outcome in group {
                    all.append(outcome)
                    if all.count == refusedAtLeast { connection.kill() }
                }
                return all
            }
        }
        let refused = all.filter { $0.contains("server 'deaf' is unavailable: it has not read its input") }
        let ended = all.filter { $0.contains("server 'deaf' is unavailable: killed by signal 9") }
        #expect(refused.count >= refusedAtLeast)
        #expect(refused.count + ended.count == requests, "\(Set(all))")
        #expect(refused.allSatisfy { $0.contains("the limit is \(limit)") })
        try await waitUntil("the server (pid \(pid)) is gone") { processIsGone(pid) }
        print(
            "a server that reads nothing: \(refused.count) of \(requests) requests refused at once, "
                + "\(ended.count) failed at its end")
    }
}
