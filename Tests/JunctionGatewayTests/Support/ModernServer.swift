import Foundation
import JunctionCore

/// The modern-era-only fake MCP server in `Fixtures/modern_server.py` (stdlib-only Python; see its
/// docstring for what it offers).
enum ModernServer {
    static let script: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/modern_server.py").path
    }()

    /// The tools it lists before `change` adds `extra`.
    static let tools = ["echo", "change", "touch", "end_streams"]

    /// A downstream definition that runs the fake, logging the requests it gets to `requestLog`.
    static func downstream(name: String = "modern", requestLog: RequestLog, env: [String: String] = [:]) -> Downstream {
        Downstream(
            name: name, command: FakeServer.command, args: [script],
            env: env.merging(["MODERN_REQUEST_LOG": requestLog.path]) { _, new in new })
    }
}

/// The requests a fake server got, across its restarts: the JSON lines it appends to a file
/// (`FAKE_REQUEST_LOG` for the handshake fake, `MODERN_REQUEST_LOG` for the modern one).
struct RequestLog: Sendable {
    struct Entry: Sendable {
        var method: String?
        var id: RawJSON?
        var params: RawJSON?
        var pid: Int?
    }

    let path: String

    var entries: [Entry] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let json = try? RawJSON(validating: Array(line.utf8)) else { return nil }
            return Entry(
                method: json["method"]?.stringValue, id: json["id"], params: json["params"], pid: json["pid"]?.intValue)
        }
    }

    var methods: [String] { entries.compactMap(\.method) }

    func count(_ method: String) -> Int { methods.filter { $0 == method }.count }
}
