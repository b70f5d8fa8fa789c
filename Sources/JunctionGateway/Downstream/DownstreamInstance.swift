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

/// A started downstream process, initialised (handshake era) or discovered (modern era), with its
/// discovered catalog.
///
/// Requests to a modern-era instance carry the reserved `_meta` entries (protocol version,
/// Junction as client, the capabilities and log level of the client served); to a handshake-era
/// one they go as they are. The era-specific duties (`ping`, `logging/setLevel`, subscriptions)
/// are handled here, so callers need not ask which era a server speaks.
public final class DownstreamInstance: Sendable {
    public let key: InstanceKey
    public let downstream: Downstream
    let connection: DownstreamConnection
    /// The `initialize` result: serverInfo, capabilities, protocolVersion, instructions. For a
    /// modern-era server, the same fields taken from its `server/discover` result.
    public let initializeResult: RawJSON
    /// The era this server speaks (found at start).
    public let era: ProtocolEra
    let subscriptions: DownstreamSubscriptions
    let freshness: CatalogFreshness
    private let catalogState: Mutex<Catalog>
    private let catalogSetAt = Mutex(ContinuousClock.now)
    private let lastUsed: Mutex<ContinuousClock.Instant>
    private let inFlight = Atomic<Int>(0)
    /// How many callers want each resource URI's updates (sessions sharing the server).
    private let resourceSubscribers = Mutex<[String: Int]>([:])

    init(
        key: InstanceKey, downstream: Downstream, connection: DownstreamConnection, initializeResult: RawJSON,
        era: ProtocolEra? = nil, subscriptions: DownstreamSubscriptions? = nil, freshness: CatalogFreshness? = nil
    ) {
        self.key = key
        self.downstream = downstream
        self.connection = connection
        self.initializeResult = initializeResult
        self.era = era ?? .handshake(initializeResult["protocolVersion"]?.stringValue ?? "")
        self.subscriptions = subscriptions ?? DownstreamSubscriptions(server: downstream.name)
        self.freshness = freshness ?? CatalogFreshness()
        self.catalogState = Mutex(Catalog())
        self.lastUsed = Mutex(.now)
    }

    public var catalog: Catalog { catalogState.withLock { $0 } }

    /// The catalog, after the re-discovery under way (if the server just said its lists
    /// changed) ends, waiting at most `CatalogFreshness.patience`.
    public func currentCatalog() async -> Catalog {
        await freshness.awaitFresh()
        return catalog
    }
    public var capabilities: RawJSON { initializeResult["capabilities"] ?? .emptyObject }
    public var protocolVersion: String? { initializeResult["protocolVersion"]?.stringValue }
    public var isRunning: Bool { connection.isRunning }
    public var stderrTail: [String] { connection.stderr.tail() }
    public var pid: Int32? { connection.pid }

    func setCatalog(_ catalog: Catalog) {
        catalogState.withLock { $0 = catalog }
        catalogSetAt.withLock { $0 = .now }
    }

    /// How long ago the catalog was last listed from the server.
    var catalogAge: Duration { ContinuousClock.now - catalogSetAt.withLock { $0 } }

    /// Idle when nothing is in flight; the time since the last call ended otherwise zero.
    func idleFor(now: ContinuousClock.Instant) -> Duration {
        inFlight.load(ordering: .relaxed) > 0 ? .zero : now - lastUsed.withLock { $0 }
    }

    /// Sends a request to the downstream, keeping idle accounting right.
    ///
    /// A modern-era server is never sent a method its era dropped: `resources/subscribe` and
    /// `resources/unsubscribe` become `subscribe(uri:)` / `unsubscribe(uri:)`, `ping` and
    /// `logging/setLevel` are answered here; each answers `{}` (or the error the server gave).
    ///
    /// - Parameter context: for a modern-era server, the client on whose behalf the request goes
    ///   (its capabilities, its log level); none means no capabilities and no log messages. The
    ///   params' own `_meta` entries (progress token, trace context) are kept. A handshake-era
    ///   server ignores it.
    public func request(
        _ method: String, params: RawJSON?, timeout: Duration? = nil,
        onProgress: (@Sendable (RawJSON) -> Void)? = nil, context: RequestContext? = nil
    ) async throws -> JSONRPCMessage {
        if era.isModern && Self.handshakeOnlyMethods.contains(method) {
            return try await answerDroppedMethod(method, params: params, context: context)
        }
        inFlight.add(1, ordering: .relaxed)
        lastUsed.withLock { $0 = .now }
        defer {
            inFlight.subtract(1, ordering: .relaxed)
            lastUsed.withLock { $0 = .now }
        }
        return try await connection.request(
            method, params: stamped(params, context: context), timeout: timeout ?? callTimeout, onProgress: onProgress)
    }

    private var callTimeout: Duration { .seconds(max(1, Limits.clampedSeconds(downstream.callTimeoutSec))) }

    /// `params` with the modern era's reserved `_meta` entries, for a modern-era server; as they
    /// are for a handshake-era one.
    func stamped(_ params: RawJSON?, context: RequestContext?) -> RawJSON? {
        guard case .modern(let version) = era else { return params }
        var stamped = MCPProtocol.settingMeta(
            MCPProtocol.Meta.protocolVersion, to: RawJSON(string: version), in: params)
        stamped = MCPProtocol.settingMeta(MCPProtocol.Meta.clientInfo, to: Self.clientInfo, in: stamped)
        let capabilities = context?.clientCapabilities.isObject == true ? context?.clientCapabilities : nil
        stamped = MCPProtocol.settingMeta(
            MCPProtocol.Meta.clientCapabilities, to: capabilities ?? .emptyObject, in: stamped)
        if let level = context?.logLevel {
            stamped = MCPProtocol.settingMeta(MCPProtocol.Meta.logLevel, to: RawJSON(string: level), in: stamped)
        }
        return stamped
    }

    /// Junction as the client, in `initialize` and in modern-era `_meta`.
    static let clientInfo = RawJSON(object: [
        ("name", RawJSON(string: "junction")), ("version", RawJSON(string: JunctionVersion.current)),
    ])

    /// Methods the modern era dropped: a modern-era server is never sent them.
    static let handshakeOnlyMethods: Set<String> = [
        "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe",
    ]

    public func notify(_ method: String, params: RawJSON?) {
        connection.notify(method, params: params)
    }

    /// Sends a request whose answer nobody waits for (fire and forget, bounded by the call timeout).
    ///
    /// A method the modern era dropped (`ping`, `logging/setLevel`, `resources/subscribe`…) is not
    /// sent to a modern-era server: there the log level travels with each request
    /// (`RequestContext.logLevel`), so `notifyRequest("logging/setLevel", …)` may be called for any
    /// server.
    public func notifyRequest(_ method: String, params: RawJSON?, context: RequestContext? = nil) {
        if era.isModern && Self.handshakeOnlyMethods.contains(method) { return }
        // Ends with the response or the timeout; nothing holds it.
        Task { _ = try? await request(method, params: params, context: context) }
    }

    /// Asks the server for `notifications/resources/updated` about `uri`, which then reach
    /// `DownstreamPool.Hooks.notification` (with `uri` intact, any subscription tag removed).
    ///
    /// Handshake era: a `resources/subscribe` request. Modern era: a `subscriptions/listen` stream
    /// for that URI, open until `unsubscribe(uri:)` or the instance stops; returns once the server
    /// acknowledged it. Throws `DownstreamError.rejected` with the server's error when it refuses.
    ///
    /// Callers are counted per URI: the server is asked once, and stays subscribed until as many
    /// `unsubscribe(uri:)` calls came (a shared server serves several sessions).
    public func subscribe(uri: String, context: RequestContext? = nil) async throws {
        let first = resourceSubscribers.withLock { counts -> Bool in
            counts[uri, default: 0] += 1
            return counts[uri] == 1
        }
        // A modern server's stream may have been ended by the server: opening is a no-op if not.
        guard first || era.isModern else { return }
        do {
            try await subscribeOnServer(uri: uri, context: context)
        } catch {
            resourceSubscribers.withLock { counts in
                // Ours was counted, so the entry is there.
                counts[uri, default: 1] -= 1
                if counts[uri] == 0 { counts[uri] = nil }
            }
            throw error
        }
    }

    /// Ends what `subscribe(uri:)` asked for, once its last caller is gone: `resources/unsubscribe`
    /// (handshake era; also sent for a URI not subscribed through here), or cancels the URI's
    /// stream (modern era).
    public func unsubscribe(uri: String) async throws {
        let last = resourceSubscribers.withLock { counts -> Bool in
            guard let count = counts[uri] else { return true }
            counts[uri] = count > 1 ? count - 1 : nil
            return count == 1
        }
        guard last else { return }
        guard era.isModern else {
            let params = RawJSON(object: [("uri", RawJSON(string: uri))])
            let response = try await request("resources/unsubscribe", params: params)
            try expectResult(response, of: "resources/unsubscribe")
            return
        }
        subscriptions.close(.resource(uri), on: connection)
    }

    private func subscribeOnServer(uri: String, context: RequestContext?) async throws {
        guard era.isModern else {
            let response = try await request(
                "resources/subscribe", params: RawJSON(object: [("uri", RawJSON(string: uri))]))
            try expectResult(response, of: "resources/subscribe")
            return
        }
        let filter = RawJSON(object: [("resourceSubscriptions", RawJSON(array: [RawJSON(string: uri)]))])
        try await subscriptions.open(
            .resource(uri), params: listenParams(filter, context: context), on: connection,
            acknowledgedWithin: callTimeout)
    }

    /// Opens the modern-era stream of list changes (those the capabilities advertise, else all
    /// three), without waiting for its acknowledgement. Not counted as work for idle stopping.
    func listenForListChanges() {
        guard era.isModern else { return }
        let capabilities = capabilities
        var wanted: [(key: String, value: RawJSON)] = []
        for (capability, flag) in [
            ("tools", "toolsListChanged"), ("prompts", "promptsListChanged"), ("resources", "resourcesListChanged"),
        ] where capabilities[capability]?["listChanged"]?.boolValue == true {
            wanted.append((flag, .true))
        }
        if wanted.isEmpty {
            wanted = [("toolsListChanged", .true), ("promptsListChanged", .true), ("resourcesListChanged", .true)]
        }
        subscriptions.begin(.listChanges, params: listenParams(RawJSON(object: wanted), context: nil), on: connection)
    }

    /// Asks the process to stop, ending its subscriptions first (`notifications/cancelled`).
    func stop(grace: Duration = .seconds(2)) {
        subscriptions.closeAll(on: connection)
        connection.stop(grace: grace)
    }

    /// Ends its subscriptions (`notifications/cancelled`); the process is stopped by the caller.
    func endSubscriptions() {
        subscriptions.closeAll(on: connection)
    }

    private func answerDroppedMethod(
        _ method: String, params: RawJSON?, context: RequestContext?
    ) async throws -> JSONRPCMessage {
        let subscribing = method == "resources/subscribe"
        guard subscribing || method == "resources/unsubscribe" else {
            return .response(id: .null, result: .emptyObject)
        }
        guard let uri = params?["uri"]?.stringValue else {
            return .errorResponse(
                id: .null, code: JSONRPCErrorCode.invalidParams, message: "\(method) needs params.uri")
        }
        do {
            if subscribing {
                try await subscribe(uri: uri, context: context)
            } else {
                try await unsubscribe(uri: uri)
            }
        } catch DownstreamError.rejected(_, _, let code, let message) {
            return .errorResponse(id: .null, code: code, message: message)
        }
        return .response(id: .null, result: .emptyObject)
    }

    private func listenParams(_ filter: RawJSON, context: RequestContext?) -> RawJSON {
        stamped(RawJSON(object: [("notifications", filter)]), context: context) ?? .emptyObject
    }

    private func expectResult(_ response: JSONRPCMessage, of method: String) throws {
        guard response.kind == .errorResponse else { return }
        throw DownstreamError.rejected(
            server: downstream.name, method: method, code: response.errorCode ?? JSONRPCErrorCode.internalError,
            message: response.errorMessage ?? "no message")
    }

    /// Lists every page of a list method (`tools/list` → `tools`), following `nextCursor`.
    func listAll(_ method: String, key: String, timeout: Duration) async throws -> [RawJSON] {
        var items: [RawJSON] = []
        var cursor: RawJSON?
        for _ in 0..<1000 {  // a server that loops its cursors cannot hold us forever
            let params = stamped(cursor.map { RawJSON(object: [("cursor", $0)]) }, context: nil)
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
