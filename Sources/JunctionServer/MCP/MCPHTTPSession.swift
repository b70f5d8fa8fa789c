import Foundation
import JunctionCore
import JunctionGateway
import Synchronization

/// One MCP-over-HTTP session: a ``GatewaySession`` of the engine (one more client connection,
/// like a `junction stdio` one) whose output a ``MCPMailbox`` routes to the client's POSTs and
/// streams.
final class MCPHTTPSession: Sendable {
    /// The `Mcp-Session-Id`: 128 random bits, hex (not guessable, unlike the engine's ULIDs).
    let id: String
    let identity: ClientIdentity
    let gateway: GatewaySession
    let mailbox: MCPMailbox
    /// Serves requests that come without a session (MCP 2026-07-28, `/rpc`, per-server plain
    /// requests): not counted against a key's sessions, never ended by the client.
    let shared: Bool
    private let lastActive: Mutex<ContinuousClock.Instant>
    private let version = Mutex<String?>(nil)

    init(
        engine: GatewayEngine, identity: ClientIdentity, target: ClientTarget, pinned: Bool, onlyDownstream: String?,
        shared: Bool
    ) {
        let mailbox = MCPMailbox()
        self.id = Self.makeId()
        self.identity = identity
        self.mailbox = mailbox
        self.shared = shared
        self.lastActive = Mutex(.now)
        self.gateway = engine.makeSession(
            target: target, pinned: pinned, transport: .http, principal: identity.name,
            onlyDownstream: onlyDownstream
        ) { line in mailbox.deliver(line) }
        // A request abandoned by its reader is cancelled as the client's notifications/cancelled
        // would cancel it.
        mailbox.onAbandoned { [gateway] internalId in
            let cancel = JSONRPCMessage.notification(
                method: "notifications/cancelled",
                params: RawJSON(object: [
                    ("requestId", RawJSON(string: internalId)),
                    ("reason", RawJSON(string: "the client closed the stream")),
                ]))
            gateway.receive(.line(cancel.encoded()))
        }
    }

    /// The protocol version `initialize` settled on, once it has.
    var protocolVersion: String? {
        get { version.withLock { $0 } }
        set { version.withLock { $0 = newValue } }
    }

    func touch() {
        lastActive.withLock { $0 = .now }
    }

    /// Nothing in flight, no stream open, and no request for `limit`.
    func isIdle(for limit: Duration, now: ContinuousClock.Instant = .now) -> Bool {
        guard mailbox.pendingCount == 0, !mailbox.hasOpenStream else { return false }
        return now - lastActive.withLock({ $0 }) >= limit
    }

    /// Feeds one message to the engine's session.
    func send(_ message: JSONRPCMessage) {
        touch()
        gateway.receive(.line(message.encoded()))
    }

    /// Ends the session: waiting requests get `reason`, streams end, calls are cancelled and the
    /// session's own servers stop.
    func close(reason: String) {
        mailbox.close(reason: reason)
        gateway.close()
    }

    private static func makeId() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let value = generator.next() as UInt64
            let hex = String(value, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
