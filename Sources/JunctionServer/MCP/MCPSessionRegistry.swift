import Foundation
import JunctionCore
import JunctionGateway
import JunctionStore
import Logging
import Synchronization

/// The daemon's MCP-over-HTTP sessions by `Mcp-Session-Id`, the shared sessions that serve
/// requests without one, and the per-key limits: sessions open and requests in flight (settings
/// `mcp_max_sessions_per_key`, `mcp_max_calls_per_key`), and the admin API's requests per minute
/// (`api_rate_limit_per_minute`, see `RateLimitMiddleware`); idle sessions end after
/// `mcp_session_idle_sec`.
public final class MCPSessionRegistry: Sendable {
    public struct Limits: Sendable, Equatable {
        public var idle: Duration = .seconds(1800)
        public var maxSessionsPerKey = 64
        public var maxCallsPerKey = 256
        /// Admin API and REST tool call requests per minute per key (0: no limit).
        public var requestsPerMinute = 60000

        public init() {}
    }

    /// Refusals, mapped to HTTP at the controller.
    enum Refusal: Error, Equatable {
        case tooManySessions(Int)
        case tooManyCalls(Int)
        case closed
    }

    private struct SharedKey: Hashable {
        var keyId: String
        var target: ClientTarget
        var onlyDownstream: String?
    }

    /// One key's requests in its current minute, which began with its first request.
    private struct Window {
        var start: Date
        var count: Int
    }

    /// What the rate limit says of one request: let through or not, and the headers that tell.
    struct RateDecision: Equatable {
        var allowed: Bool
        var limit: Int
        var remaining: Int
        /// When the key's minute ends (seconds since 1970, rounded up).
        var reset: Int
        /// Whole seconds until then, at least 1.
        var retryAfter: Int
    }

    private struct State {
        var windows: [String: Window] = [:]
        var sessions: [String: MCPHTTPSession] = [:]
        var shared: [SharedKey: MCPHTTPSession] = [:]
        var calls: [String: Int] = [:]
        var limits = Limits()
        var closed = false
    }

    private let state = Mutex(State())
    static let logger = Logger(label: "junction.mcp.http")

    public init() {}

    public var limits: Limits {
        get { state.withLock { $0.limits } }
        set { state.withLock { $0.limits = newValue } }
    }

    /// Sessions open now (not counting the shared ones).
    public var sessionCount: Int { state.withLock { $0.sessions.count } }

    /// A new session for `identity`, refused past the key's limit.
    func open(
        engine: GatewayEngine, identity: ClientIdentity, target: ClientTarget, pinned: Bool, onlyDownstream: String?
    ) throws(Refusal) -> MCPHTTPSession {
        let admitted = state.withLock { state -> Refusal? in
            if state.closed { return .closed }
            let open = state.sessions.values.count { $0.identity.keyId == identity.keyId }
            return open >= state.limits.maxSessionsPerKey ? .tooManySessions(state.limits.maxSessionsPerKey) : nil
        }
        if let admitted { throw admitted }
        let session = MCPHTTPSession(
            engine: engine, identity: identity, target: target, pinned: pinned, onlyDownstream: onlyDownstream,
            shared: false)
        state.withLock { $0.sessions[session.id] = session }
        return session
    }

    /// The session `id`, if it exists and belongs to the same key (another key's session is not
    /// told apart from none).
    func session(id: String, identity: ClientIdentity) -> MCPHTTPSession? {
        let session = state.withLock { $0.sessions[id] }
        guard let session, session.identity.keyId == identity.keyId else { return nil }
        session.touch()
        return session
    }

    /// The session serving requests without one, for this key, target and server.
    func shared(
        engine: GatewayEngine, identity: ClientIdentity, target: ClientTarget, pinned: Bool, onlyDownstream: String?
    ) throws(Refusal) -> MCPHTTPSession {
        let key = SharedKey(keyId: identity.keyId, target: target, onlyDownstream: onlyDownstream)
        let existing = state.withLock { state -> Result<MCPHTTPSession?, Refusal> in
            if state.closed { return .failure(.closed) }
            return .success(state.shared[key])
        }
        switch existing {
        case .failure(let refusal): throw refusal
        case .success(let session?):
            session.touch()
            return session
        case .success(nil): break
        }
        let made = MCPHTTPSession(
            engine: engine, identity: identity, target: target, pinned: pinned, onlyDownstream: onlyDownstream,
            shared: true)
        let winner = state.withLock { state -> MCPHTTPSession in
            if let other = state.shared[key] { return other }
            state.shared[key] = made
            return made
        }
        // Two first requests raced: one session serves both, the other is closed unused.
        if winner !== made { made.close(reason: "unused") }
        return winner
    }

    /// Ends a session (DELETE); false when there was none.
    @discardableResult
    func end(id: String, identity: ClientIdentity, reason: String = "the session was ended") -> Bool {
        let session = state.withLock { state -> MCPHTTPSession? in
            guard let session = state.sessions[id], session.identity.keyId == identity.keyId else { return nil }
            state.sessions[id] = nil
            return session
        }
        session?.close(reason: reason)
        return session != nil
    }

    /// Counts a request in flight for the key; refused past its limit.
    func acquireCall(_ identity: ClientIdentity) throws(Refusal) {
        let refusal = state.withLock { state -> Refusal? in
            let running = state.calls[identity.keyId, default: 0]
            guard running < state.limits.maxCallsPerKey else { return .tooManyCalls(state.limits.maxCallsPerKey) }
            state.calls[identity.keyId] = running + 1
            return nil
        }
        if let refusal { throw refusal }
    }

    func releaseCall(_ identity: ClientIdentity) {
        state.withLock { state in
            let running = state.calls[identity.keyId, default: 0] - 1
            state.calls[identity.keyId] = running > 0 ? running : nil
        }
    }

    /// Counts a request against the key's requests per minute; nil when there is no limit. A key's
    /// minute begins with its first request after the last one ended.
    func admitRequest(_ keyId: String, now: Date = Date()) -> RateDecision? {
        state.withLock { state -> RateDecision? in
            let limit = state.limits.requestsPerMinute
            guard limit > 0 else { return nil }
            var window = state.windows[keyId] ?? Window(start: now, count: 0)
            if now.timeIntervalSince(window.start) >= 60 { window = Window(start: now, count: 0) }
            let allowed = window.count < limit
            if allowed { window.count += 1 }
            state.windows[keyId] = window
            let end = window.start.addingTimeInterval(60)
            return RateDecision(
                allowed: allowed, limit: limit, remaining: max(0, limit - window.count),
                reset: Int(end.timeIntervalSince1970.rounded(.up)),
                retryAfter: max(1, Int(end.timeIntervalSince(now).rounded(.up))))
        }
    }

    /// Requests in flight for a key now.
    func callsInFlight(keyId: String) -> Int {
        state.withLock { $0.calls[keyId, default: 0] }
    }

    /// Ends sessions idle for longer than the limit; returns how many.
    @discardableResult
    func sweep(now: ContinuousClock.Instant = .now) -> Int {
        let expired = state.withLock { state -> [MCPHTTPSession] in
            let limit = state.limits.idle
            let sessions = state.sessions.values.filter { $0.isIdle(for: limit, now: now) }
            for session in sessions { state.sessions[session.id] = nil }
            let shared = state.shared.filter { $0.value.isIdle(for: limit, now: now) }
            for key in shared.keys { state.shared[key] = nil }
            // Rate windows whose minute ended count nothing any more.
            let wallClock = Date()
            state.windows = state.windows.filter { wallClock.timeIntervalSince($0.value.start) < 60 }
            return sessions + shared.values
        }
        for session in expired { session.close(reason: "the session expired (idle)") }
        if !expired.isEmpty { Self.logger.debug("\(expired.count) idle MCP-over-HTTP session(s) ended") }
        return expired.count
    }

    /// Ends every session and refuses new ones (daemon shutdown).
    public func closeAll(reason: String) {
        let all = state.withLock { state -> [MCPHTTPSession] in
            state.closed = true
            defer {
                state.sessions.removeAll()
                state.shared.removeAll()
            }
            return Array(state.sessions.values) + Array(state.shared.values)
        }
        for session in all { session.close(reason: reason) }
    }

    /// Follows the limit settings and ends idle sessions, until cancelled.
    public func run(database: AppDatabase) async {
        while !Task.isCancelled {
            if let limits = try? Self.readLimits(database) { self.limits = limits }
            sweep()
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// The limit settings (`JUNCTION_<KEY>` variables override them).
    static func readLimits(_ database: AppDatabase) throws -> Limits {
        let settings = try SettingsRepository(database).snapshot()
        var limits = Limits()
        limits.idle = .seconds(settings[.mcpSessionIdleSec])
        limits.maxSessionsPerKey = settings[.mcpMaxSessionsPerKey]
        limits.maxCallsPerKey = settings[.mcpMaxCallsPerKey]
        limits.requestsPerMinute = settings[.apiRateLimitPerMinute]
        return limits
    }
}
