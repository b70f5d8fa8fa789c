/// The unsynchronised state behind ``ToolResultCache``: a dictionary into slot arrays threaded
/// by an intrusive doubly linked list (head = most recently used), plus a per-downstream index
/// so invalidation does not scan everything.
struct ToolResultStorage {
    typealias Key = ToolResultCache.Key
    typealias Instant = ToolResultCache.Instant

    private struct Entry {
        var key: Key
        var value: [UInt8]
        var expires: Instant
        var stored: Instant
        var cost: Int
        var previous: Int
        var next: Int
    }

    let maxBytes: Int
    private var entries: [Entry] = []
    private var freeSlots: [Int] = []
    private var index: [Key: Int] = [:]
    private var byDownstream: [String: Set<Int>] = [:]
    private var head = -1
    private var tail = -1
    private var bytes = 0
    private var hits: UInt64 = 0
    private var misses: UInt64 = 0
    private var evictions: UInt64 = 0
    private var expirations: UInt64 = 0
    private var invalidations: UInt64 = 0

    init(maxBytes: Int) {
        self.maxBytes = maxBytes
    }

    var stats: ToolResultCache.Stats {
        ToolResultCache.Stats(
            hits: hits, misses: misses, entries: index.count, bytes: bytes, maxBytes: maxBytes, evictions: evictions,
            expirations: expirations, invalidations: invalidations)
    }

    /// The entry for `key`, if fresh. A probe (`countsMiss: false`) that finds nothing is not
    /// a miss: another key is looked up next.
    mutating func get(_ key: Key, now: Instant, countsMiss: Bool = true) -> (value: [UInt8], stored: Instant)? {
        guard let slot = index[key] else {
            if countsMiss { misses += 1 }
            return nil
        }
        if entries[slot].expires <= now {
            remove(slot)
            expirations += 1
            if countsMiss { misses += 1 }
            return nil
        }
        hits += 1
        unlink(slot)
        pushFront(slot)
        return (entries[slot].value, entries[slot].stored)
    }

    mutating func put(_ key: Key, value: [UInt8], expires: Instant, stored: Instant) {
        if let existing = index[key] { remove(existing) }
        let cost = value.count + key.cost
        guard cost <= maxBytes else { return }
        while bytes + cost > maxBytes, tail >= 0 {
            remove(tail)
            evictions += 1
        }
        let entry = Entry(
            key: key, value: value, expires: expires, stored: stored, cost: cost, previous: -1, next: -1)
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            entries[slot] = entry
        } else {
            slot = entries.count
            entries.append(entry)
        }
        index[key] = slot
        byDownstream[key.downstreamId, default: []].insert(slot)
        bytes += cost
        pushFront(slot)
    }

    mutating func invalidate(downstreamId: String) -> Int {
        guard let slots = byDownstream[downstreamId] else { return 0 }
        for slot in slots { remove(slot) }
        invalidations += UInt64(slots.count)
        return slots.count
    }

    mutating func purgeExpired(now: Instant) -> Int {
        var removed = 0
        var slot = head
        while slot >= 0 {
            let next = entries[slot].next
            if entries[slot].expires <= now {
                remove(slot)
                removed += 1
            }
            slot = next
        }
        expirations += UInt64(removed)
        return removed
    }

    mutating func removeAll() {
        entries.removeAll()
        freeSlots.removeAll()
        index.removeAll()
        byDownstream.removeAll()
        head = -1
        tail = -1
        bytes = 0
    }

    private mutating func remove(_ slot: Int) {
        let key = entries[slot].key
        unlink(slot)
        index[key] = nil
        byDownstream[key.downstreamId]?.remove(slot)
        if byDownstream[key.downstreamId]?.isEmpty == true { byDownstream[key.downstreamId] = nil }
        bytes -= entries[slot].cost
        // Release the payload now; the slot is reused by a later put.
        entries[slot].value = []
        entries[slot].key = Key(downstreamId: "", authScopeId: nil, tool: "", canonicalArguments: "")
        freeSlots.append(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let previous = entries[slot].previous
        let next = entries[slot].next
        if previous >= 0 { entries[previous].next = next } else { head = next }
        if next >= 0 { entries[next].previous = previous } else { tail = previous }
        entries[slot].previous = -1
        entries[slot].next = -1
    }

    private mutating func pushFront(_ slot: Int) {
        entries[slot].next = head
        entries[slot].previous = -1
        if head >= 0 { entries[head].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}
