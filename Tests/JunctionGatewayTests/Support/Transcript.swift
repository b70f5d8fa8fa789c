import JunctionCore
import Synchronization
import Testing

/// Everything a session sent its client, parsed, with waits for the message a test expects.
final class Transcript: Sendable {
    private struct Waiter {
        var since: Int
        var predicate: @Sendable (JSONRPCMessage) -> Bool
        var continuation: CheckedContinuation<JSONRPCMessage, any Error>
    }

    private struct State {
        var messages: [JSONRPCMessage] = []
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    /// The session's output callback: one line, newline included, per call.
    func receive(_ bytes: [UInt8]) {
        #expect(bytes.last == 0x0A, "every output ends with a newline")
        let line = Array(bytes.dropLast())
        #expect(!line.contains(0x0A), "one message per line")
        guard case .success(let message) = JSONRPCMessage.parse(line) else {
            Issue.record("the session wrote invalid JSON-RPC: \(String(decoding: line, as: UTF8.self))")
            return
        }
        let ready = state.withLock { state -> [CheckedContinuation<JSONRPCMessage, any Error>] in
            state.messages.append(message)
            let index = state.messages.count - 1
            let matched = state.waiters.filter { index >= $0.value.since && $0.value.predicate(message) }
            for key in matched.keys { state.waiters[key] = nil }
            return matched.values.map(\.continuation)
        }
        for continuation in ready { continuation.resume(returning: message) }
    }

    var messages: [JSONRPCMessage] { state.withLock { $0.messages } }

    /// A mark to wait for messages sent after now.
    var count: Int { state.withLock { $0.messages.count } }

    /// The first message (from `since` on) that matches, waiting for it if needed.
    func first(
        _ what: String, since: Int = 0, seconds: Double = eventBound,
        where predicate: @escaping @Sendable (JSONRPCMessage) -> Bool
    ) async throws -> JSONRPCMessage {
        try await bounded(what, seconds: seconds) { try await self.wait(since: since, predicate) }
    }

    /// The response (result or error) to the request with this raw id.
    func response(to id: String) async throws -> JSONRPCMessage {
        try await first("the response to \(id)") {
            ($0.kind == .response || $0.kind == .errorResponse) && $0.id?.description == id
        }
    }

    private func wait(
        since: Int, _ predicate: @escaping @Sendable (JSONRPCMessage) -> Bool
    ) async throws -> JSONRPCMessage {
        let key = state.withLock { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                enum Outcome {
                    case found(JSONRPCMessage)
                    case cancelled
                    case waiting
                }
                let outcome = state.withLock { state -> Outcome in
                    if let found = state.messages.dropFirst(since).first(where: predicate) { return .found(found) }
                    if Task.isCancelled { return .cancelled }
                    state.waiters[key] = Waiter(since: since, predicate: predicate, continuation: continuation)
                    return .waiting
                }
                switch outcome {
                case .found(let message): continuation.resume(returning: message)
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .waiting: break
                }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: key) }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }
}
