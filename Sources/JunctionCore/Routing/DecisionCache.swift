import Synchronization

/// Tier 1 cache: memoised routing decisions per (client root, tool) for one configuration
/// generation. Thread-safe (one `Mutex`), bounded, with CLOCK (second-chance) eviction: a hit
/// only sets a bit, so it costs one lock, one dictionary lookup and the copy of the decision.
///
/// Entries belong to a generation. ``reset(generation:)`` drops everything; an insert computed
/// from another generation is ignored, so a resolution that raced a config change cannot
/// plant a stale decision.
public final class DecisionCache: Sendable {
    /// What a decision is cached under. The client root is taken as given (the caller's
    /// normalised form); different spellings of one location simply occupy separate entries.
    public struct Key: Hashable, Sendable {
        public enum Kind: UInt8, Hashable, Sendable {
            /// `location` is a client root path.
            case clientRoot
            /// `location` is a workspace name (`--workspace`).
            case workspaceName
        }

        public var kind: Kind
        public var location: String
        public var tool: String

        public init(kind: Kind = .clientRoot, location: String, tool: String) {
            self.kind = kind
            self.location = location
            self.tool = tool
        }
    }

    /// Counters, as reported by the admin API.
    public struct Stats: Sendable, Hashable, Codable {
        public var hits: UInt64
        public var misses: UInt64
        public var size: Int
        public var evictions: UInt64
        public var capacity: Int
        public var generation: UInt64

        public init(hits: UInt64, misses: UInt64, size: Int, evictions: UInt64, capacity: Int, generation: UInt64) {
            self.hits = hits
            self.misses = misses
            self.size = size
            self.evictions = evictions
            self.capacity = capacity
            self.generation = generation
        }
    }

    private struct Storage {
        var generation: UInt64
        let capacity: Int
        var index: [Key: Int] = [:]
        var keys: [Key] = []
        var values: [Decision] = []
        var referenced: [Bool] = []
        var hand = 0
        var hits: UInt64 = 0
        var misses: UInt64 = 0
        var evictions: UInt64 = 0

        mutating func removeAll() {
            index.removeAll(keepingCapacity: true)
            keys.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            referenced.removeAll(keepingCapacity: true)
            hand = 0
        }
    }

    private let storage: Mutex<Storage>

    /// - Parameters:
    ///   - capacity: maximum number of decisions kept (at least 1).
    ///   - generation: the configuration generation entries are valid for.
    public init(capacity: Int = 10_000, generation: UInt64 = 0) {
        storage = Mutex(Storage(generation: generation, capacity: max(1, capacity)))
    }

    /// The cached decision for `key`, counting a hit or a miss.
    public func lookup(_ key: Key) -> Decision? {
        storage.withLock { storage in
            guard let slot = storage.index[key] else {
                storage.misses += 1
                return nil
            }
            storage.hits += 1
            storage.referenced[slot] = true
            return storage.values[slot]
        }
    }

    /// Stores `decision` if it was computed for the cache's current generation.
    public func insert(_ decision: Decision, for key: Key, generation: UInt64) {
        storage.withLock { storage in
            guard storage.generation == generation else { return }
            if let slot = storage.index[key] {
                storage.values[slot] = decision
                storage.referenced[slot] = true
                return
            }
            if storage.keys.count < storage.capacity {
                storage.index[key] = storage.keys.count
                storage.keys.append(key)
                storage.values.append(decision)
                storage.referenced.append(false)
                return
            }
            // Second chance: skip (and clear) referenced slots; terminates within two sweeps.
            while storage.referenced[storage.hand] {
                storage.referenced[storage.hand] = false
                storage.hand = (storage.hand + 1) % storage.capacity
            }
            let victim = storage.hand
            storage.index[storage.keys[victim]] = nil
            storage.evictions += 1
            storage.keys[victim] = key
            storage.values[victim] = decision
            storage.index[key] = victim
            storage.hand = (victim + 1) % storage.capacity
        }
    }

    /// Drops every entry and accepts inserts only for `generation` from now on.
    public func reset(generation: UInt64) {
        storage.withLock { storage in
            storage.generation = generation
            storage.removeAll()
        }
    }

    /// Drops every entry (counters are kept).
    public func flush() {
        storage.withLock { $0.removeAll() }
    }

    /// The configuration generation entries are valid for.
    public var generation: UInt64 {
        storage.withLock { $0.generation }
    }

    /// Current counters.
    public var stats: Stats {
        storage.withLock { storage in
            Stats(
                hits: storage.hits, misses: storage.misses, size: storage.keys.count, evictions: storage.evictions,
                capacity: storage.capacity, generation: storage.generation)
        }
    }
}
