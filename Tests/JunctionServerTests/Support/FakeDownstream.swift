import Foundation

/// The gateway tests' fake MCP server (`Tests/JunctionGatewayTests/Fixtures/fake_server.py`,
/// stdlib-only Python), used by path as the command of downstreams the API starts.
enum FakeDownstream {
    static let script: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // JunctionServerTests
        .deletingLastPathComponent()  // Tests
        .appendingPathComponent("JunctionGatewayTests/Fixtures/fake_server.py").path

    /// The tools the fake lists, in its order.
    static let tools = [
        "echo", "slow", "crash", "garbage", "stderr", "change", "sleep_forever", "env", "ask_client",
        "withdraw_asks", "dotted.name", "hang", "gate",
    ]

    /// A `POST /downstreams` body for a server that runs the fake with python3.
    static func createBody(name: String, extra: [String: Any] = [:]) -> String {
        var object: [String: Any] = ["name": name, "command": "python3", "args": [script]]
        object.merge(extra) { _, new in new }
        return JSON.text(object)
    }
}

/// JSON text for request bodies built from dictionaries (paths and values escaped properly).
enum JSON {
    static func text(_ object: Any) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("null".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// A wait that ran past its bound: something hung.
struct WaitTimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Waits until `condition` holds, for state that has no event to await (a line another process
/// writes to a log), failing after a generous bound that only matters when something hangs.
func waitFor(_ what: String, seconds: Double = 20, _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            throw WaitTimedOut(description: "\(what): not within \(seconds) s")
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}
