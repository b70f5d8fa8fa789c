import JunctionCore
import Testing

/// Everything a session sent its client, parsed, with waits for the message a test expects.
final class Transcript: Sendable {
    private let recording = Recording<JSONRPCMessage>()

    /// The session's output callback: one line, newline included, per call.
    func receive(_ bytes: [UInt8]) {
        #expect(bytes.last == 0x0A, "every output ends with a newline")
        let line = Array(bytes.dropLast())
        #expect(!line.contains(0x0A), "one message per line")
        guard case .success(let message) = JSONRPCMessage.parse(line) else {
            Issue.record("the session wrote invalid JSON-RPC: \(String(decoding: line, as: UTF8.self))")
            return
        }
        recording.append(message)
    }

    var messages: [JSONRPCMessage] { recording.elements }

    /// A mark to wait for messages sent after now.
    var count: Int { recording.count }

    /// The first message (from `since` on) that matches, waiting for it if needed.
    func first(
        _ what: String, since: Int = 0, seconds: Double = eventBound,
        where predicate: @escaping @Sendable (JSONRPCMessage) -> Bool
    ) async throws -> JSONRPCMessage {
        try await recording.first(what, since: since, seconds: seconds, where: predicate)
    }

    /// The response (result or error) to the request with this raw id.
    func response(to id: String) async throws -> JSONRPCMessage {
        try await first("the response to \(id)") {
            ($0.kind == .response || $0.kind == .errorResponse) && $0.id?.description == id
        }
    }
}
