import Synchronization

/// Tier 2 cache: raw results of read-only tool calls, keyed by downstream, auth scope, tool and
/// canonical arguments. Each entry has its own time to live; the total size is bounded in bytes
/// with least-recently-used eviction. Thread-safe (one `Mutex`); time comes from an injected
/// clock so expiry is testable without sleeping.
public final class ToolResultCache: Sendable {
    /// What a result is cached under. Build it with ``init(downstreamId:authScopeId:tool:arguments:)``
    /// so equivalent argument spellings share an entry.
    public struct Key: Hashable, Sendable {
        public var downstreamId: String
        public var authScopeId: String?
        /// The downstream's own tool name.
        public var tool: String
        /// Canonical JSON of the arguments (see ``CanonicalJSON``).
        public var canonicalArguments: String
        /// Set for a result its server marked `cacheScope: "private"`: only this client session
        /// may be served it.
        public var privateToSession: String?

        public init(downstreamId: String, authScopeId: String?, tool: String, canonicalArguments: String) {
            self.downstreamId = downstreamId
            self.authScopeId = authScopeId
            self.tool = tool
            self.canonicalArguments = canonicalArguments
        }

        /// Canonicalises `arguments` (raw JSON); throws when they are not valid JSON.
        public init<Bytes: Collection<UInt8>>(
            downstreamId: String, authScopeId: String?, tool: String, arguments: Bytes
        ) throws(CanonicalJSONError) {
            self.init(
                downstreamId: downstreamId, authScopeId: authScopeId, tool: tool,
                canonicalArguments: try CanonicalJSON.canonicalize(arguments))
        }

        /// Bytes charged against the budget besides the value: the key and a fixed overhead.
        var cost: Int {
            downstreamId.utf8.count + (authScopeId?.utf8.count ?? 0) + tool.utf8.count + canonicalArguments.utf8.count
                + (privateToSession?.utf8.count ?? 0) + ToolResultCache.entryOverhead
        }
    }

    /// Counters, as reported by the admin API.
    public struct Stats: Sendable, Hashable, Codable {
        public var hits: UInt64
        public var misses: UInt64
        public var entries: Int
        public var bytes: Int
        public var maxBytes: Int
        public var evictions: UInt64
        public var expirations: UInt64
        public var invalidations: UInt64

        public init(
            hits: UInt64, misses: UInt64, entries: Int, bytes: Int, maxBytes: Int, evictions: UInt64,
            expirations: UInt64, invalidations: UInt64
        ) {
            self.hits = hits
            self.misses = misses
            self.entries = entries
            self.bytes = bytes
            self.maxBytes = maxBytes
            self.evictions = evictions
            self.expirations = expirations
            self.invalidations = invalidations
        }

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case hits, misses, entries, bytes, evictions, expirations, invalidations
            case maxBytes = "max_bytes"
        }
    }

    /// Approximate bookkeeping bytes per entry, so many tiny results still hit the bound.
    static let entryOverhead = 64

    public typealias Instant = ContinuousClock.Instant

    private let storage: Mutex<ToolResultStorage>
    private let now: @Sendable () -> Instant

    /// - Parameters:
    ///   - maxBytes: bound on values plus keys plus a small per-entry overhead.
    ///   - now: the clock; tests inject a manual one.
    public init(maxBytes: Int = 64 << 20, now: @escaping @Sendable () -> Instant = { ContinuousClock.now }) {
        storage = Mutex(ToolResultStorage(maxBytes: max(0, maxBytes)))
        self.now = now
    }

    /// The cached result, or nil (expired entries are dropped and count as a miss).
    public func get(_ key: Key) -> [UInt8]? {
        lookup(key)?.value
    }

    /// The cached result with how long ago it was stored, or nil.
    /// A result for this session: one any session may have, else one private to it.
    public func lookup(_ key: Key, session sessionId: String) -> (value: [UInt8], age: Duration)? {
        var shared = key
        shared.privateToSession = nil
        var owned = key
        owned.privateToSession = sessionId
        let time = now()
        let found = storage.withLock { storage in
            storage.get(shared, now: time, countsMiss: false) ?? storage.get(owned, now: time)
        }
        return found.map { ($0.value, time - $0.stored) }
    }

    public func lookup(_ key: Key) -> (value: [UInt8], age: Duration)? {
        let time = now()
        guard let found = storage.withLock({ $0.get(key, now: time) }) else { return nil }
        return (found.value, time - found.stored)
    }

    /// Stores `value` for `ttl`. Ignored when `ttl` is not positive or the entry alone exceeds
    /// the byte budget; otherwise least-recently-used entries make room.
    public func put(_ key: Key, value: [UInt8], ttl: Duration) {
        guard ttl > .zero else { return }
        let time = now()
        storage.withLock { $0.put(key, value: value, expires: time + ttl, stored: time) }
    }

    /// Drops every entry of one downstream (after a write through it). Returns how many.
    @discardableResult
    public func invalidate(downstreamId: String) -> Int {
        storage.withLock { $0.invalidate(downstreamId: downstreamId) }
    }

    /// Drops expired entries now instead of on their next lookup. Returns how many.
    @discardableResult
    public func purgeExpired() -> Int {
        let time = now()
        return storage.withLock { $0.purgeExpired(now: time) }
    }

    /// Drops every entry (counters are kept).
    public func flush() {
        storage.withLock { $0.removeAll() }
    }

    /// Current counters.
    public var stats: Stats {
        storage.withLock { $0.stats }
    }
}
