import Foundation
import JunctionCore

/// The fake MCP server in `Fixtures/fake_server.py` (stdlib-only Python; see its docstring for
/// the tools it offers).
enum FakeServer {
    static let script: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fake_server.py").path
    }()

    /// Looked up in the child's PATH, as a configured server's command would be.
    static let command = "python3"

    /// The tools the fake lists before `change` adds `extra`.
    static let tools = [
        "echo", "slow", "crash", "garbage", "stderr", "change", "sleep_forever", "env", "ask_client",
        "withdraw_asks", "dotted.name", "hang", "gate",
    ]

    /// A downstream definition that runs the fake.
    static func downstream(
        name: String = "fake",
        instanceMode: Downstream.InstanceMode = .shared,
        env: [String: String] = [:],
        idleTimeoutSec: Int = Downstream.defaultIdleTimeoutSec,
        callTimeoutSec: Int = 30
    ) -> Downstream {
        Downstream(
            name: name, command: command, args: [script], env: env, instanceMode: instanceMode,
            idleTimeoutSec: idleTimeoutSec, callTimeoutSec: callTimeoutSec)
    }
}
