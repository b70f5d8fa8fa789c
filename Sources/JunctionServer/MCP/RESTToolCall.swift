import Foundation
import JunctionCore
import JunctionGateway
import Synchronization

/// One `tools/call` made through the REST API (MCP Proxy Engine's `POST /tools/call`): sent to a
/// session of the engine of its own, as an MCP client's call would be, so it is routed,
/// approval-gated, cached and audited by the same code. The session is the call's alone: the
/// approval it may wait for is told apart by the session's id.
enum RESTToolCall {
    enum Outcome: Sendable {
        /// The session answered: the JSON-RPC response, and the approval it waited for, if any.
        case answered(JSONRPCMessage, approvalId: String?)
        /// The call waits for approval `approvalId` longer than the caller wanted to wait; it goes
        /// on, and its outcome is audited.
        case pending(approvalId: String)
    }

    private enum Signal: Sendable {
        case answer(JSONRPCMessage)
        case approval(String)
        case waitedEnough
    }

    /// Makes the call and waits for its answer; when it is parked for approval, waits at most
    /// `approvalWait` more for it.
    static func run(
        engine: GatewayEngine, client: String, target: ClientTarget, pinned: Bool, name: String,
        arguments: RawJSON?, approvalWait: Duration
    ) async -> Outcome {
        let (signals, signal) = AsyncStream<Signal>.makeStream()
        let (lines, line) = AsyncStream<[UInt8]>.makeStream()
        let session = engine.makeSession(target: target, pinned: pinned, transport: .http, principal: client) {
            line.yield($0)
        }
        let approvals = engine.events.subscribe(types: [EventType.approvalRequested])
        let requestId = RawJSON(integer: 1)
        // Reads the session's output until the call is answered, then ends the session. It outlives
        // this function when the caller stopped waiting for an approval: it ends with the call
        // (whose approval has a timeout).
        Task {
            for await bytes in lines {
                guard case .success(let message) = JSONRPCMessage.parse(bytes), message.id == requestId,
                    message.kind == .response || message.kind == .errorResponse
                else { continue }
                signal.yield(.answer(message))
                break
            }
            signal.finish()
            session.close()
            line.finish()
        }
        // Watches for the call's approval; cancelled below once the wait is over.
        let watcher = Task {
            for await event in approvals {
                if let approval = event.payload as? Approval, approval.sessionId == session.id {
                    signal.yield(.approval(approval.id))
                    return
                }
            }
        }
        var params: [(key: String, value: RawJSON)] = [("name", RawJSON(string: name))]
        if let arguments { params.append(("arguments", arguments)) }
        let request = JSONRPCMessage.request(id: requestId, method: "tools/call", params: RawJSON(object: params))
        session.receive(.line(request.encoded()))

        var approvalId: String?
        var timer: Task<Void, Never>?
        defer {
            watcher.cancel()
            timer?.cancel()
        }
        for await next in signals {
            switch next {
            case .answer(let message):
                return .answered(message, approvalId: approvalId)
            case .approval(let id):
                approvalId = id
                // Ends the wait; cancelled when the answer comes first.
                timer = Task {
                    try? await Task.sleep(for: approvalWait)
                    if !Task.isCancelled { signal.yield(.waitedEnough) }
                }
            case .waitedEnough:
                if let approvalId { return .pending(approvalId: approvalId) }
            }
        }
        // The session ended without an answer (the engine shut down).
        return .answered(
            .errorResponse(id: requestId, code: JSONRPCErrorCode.internalError, message: "Junction is shutting down"),
            approvalId: approvalId)
    }
}
