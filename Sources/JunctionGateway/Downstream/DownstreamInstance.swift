import Foundation
import JunctionCore
import Synchronization

/// Identifies one running process: shared instances per (downstream, auth scope), per-session
/// instances per (downstream, auth scope, session).
public struct InstanceKey: Hashable, Sendable, CustomStringConvertible {
    public var downstreamId: String
    public var authScopeId: String?
    public var sessionId: String?

    public var description: String {
        [downstreamId, authScopeId ?? "-", sessionId ?? "shared"].joined(separator: "/")
    }
}

/// What a downstream offers, as it sent it (each entry the raw JSON object).
public struct Catalog: Sendable {
    public var tools: [RawJSON] = []
    public var resources: [RawJSON] = []
    public var resourceTemplates: [RawJSON] = []
    public var prompts: [RawJSON] = []

    public init() {}
}

/// A started and initialised downstream process with its discovered catalog.
public final class DownstreamInstance: Sendable {
    public let key: InstanceKey
    public let downstream: Downstream
    let connection: DownstreamConnection
    /// The `initialize` result: serverInfo, capabilities, protocolVersion, instructions.
    public let initializeResult: RawJSON
    private let catalogState: Mutex<Catalog>
    private let lastUsed: Mutex<ContinuousClock.Instant>
    private let inFlight = Atomic<Int>(0)

    init(key: InstanceKey, downstream: Downstream, connection: DownstreamConnection, initializeResult: RawJSON) {
        self.key = key
        self.downstream = downstream
        self.connection = connection
        self.initializeResult = initializeResult
        self.catalogState = Mutex(Catalog())
        self.lastUsed = Mutex(.now)
    }

    public var catalog: Catalog { catalogState.withLock { $0 } }
    public var capabilities: RawJSON { initializeResult["capabilities"] ?? .emptyObject }
    public var protocolVersion: String? { initializeResult["protocolVersion"]?.stringValue }
    /// The era this server speaks (found at start).
    public var era: ProtocolEra { .handshake(protocolVersion ?? "") }
    public var isRunning: Bool { connection.isRunning }
    public var stderrTail: [String] { connection.stderr.tail() }
    public var pid: Int32? { connection.pid }

    func setCatalog(_ catalog: Catalog) {
        catalogState.withLock { $0 = catalog }
    }

    /// Idle when nothing is in flight; the time since the last call ended otherwise zero.
    func idleFor(now: ContinuousClock.Instant) -> Duration {
        inFlight.load(ordering: .relaxed) > 0 ? .zero : now - lastUsed.withLock { $0 }
    }

    /// Sends a request to the downstream, keeping idle accounting right.
    public func request(
        _ method: String, params: RawJSON?, timeout: Duration? = nil,
        onProgress: (@Sendable (RawJSON) -> Void)? = nil, context: RequestContext? = nil
    ) async throws -> JSONRPCMessage {
        inFlight.add(1, ordering: .relaxed)
        lastUsed.withLock { $0 = .now }
        defer {
            inFlight.subtract(1, ordering: .relaxed)
            lastUsed.withLock { $0 = .now }
        }
        let timeout = timeout ?? .seconds(max(1, Limits.clampedSeconds(downstream.callTimeoutSec)))
        return try await connection.request(method, params: params, timeout: timeout, onProgress: onProgress)
    }

    public func notify(_ method: String, params: RawJSON?) {
        connection.notify(method, params: params)
    }

    /// Sends a request whose answer nobody waits for (fire and forget, bounded by the call timeout).
    public func notifyRequest(_ method: String, params: RawJSON?) {
        // Ends with the response or the timeout; nothing holds it.
        Task { _ = try? await request(method, params: params) }
    }

    /// Lists every page of a list method (`tools/list` → `tools`), following `nextCursor`.
    func listAll(_ method: String, key: String, timeout: Duration) async throws -> [RawJSON] {
        var items: [RawJSON] = []
        var cursor: RawJSON?
        for _ in 0..<1000 {  // a server that loops its cursors cannot hold us forever
            let params = cursor.map { RawJSON(object: [("cursor", $0)]) }
            let response = try await connection.request(method, params: params, timeout: timeout)
            guard response.kind == .response, let result = response.result else {
                throw DownstreamError.protocolError(
                    server: downstream.name, reason: "\(method) failed: \(response.errorMessage ?? "no result")")
            }
            items += result[key]?.elements ?? []
            guard let next = result["nextCursor"], next.isString else { break }
            cursor = next
        }
        return items
    }
}
