import Foundation
import JunctionCore
import Testing

@Suite("ToolResultCache")
struct ToolResultCacheTests {
    func key(_ downstream: String = "ds", tool: String = "read", args: String = "{}") throws -> ToolResultCache.Key {
        try ToolResultCache.Key(downstreamId: downstream, authScopeId: "as", tool: tool, arguments: Array(args.utf8))
    }

    @Test("equivalent argument spellings share an entry")
    func canonicalKeys() throws {
        let cache = ToolResultCache()
        cache.put(try key(args: #"{"b":1, "a":[1,2]}"#), value: [1, 2, 3], ttl: .seconds(60))
        #expect(cache.get(try key(args: #"{ "a":[1,2],"b":1 }"#)) == [1, 2, 3])
        #expect(cache.get(try key(args: #"{"a":[2,1],"b":1}"#)) == nil)
        #expect(throws: CanonicalJSONError.self) { try key(args: "{") }
    }

    @Test("entries expire after their TTL on the injected clock")
    func ttl() throws {
        let clock = ManualClock()
        let cache = ToolResultCache(now: { clock.now })
        cache.put(try key(tool: "short"), value: [1], ttl: .seconds(5))
        cache.put(try key(tool: "long"), value: [2], ttl: .seconds(60))
        cache.put(try key(tool: "never"), value: [3], ttl: .zero)
        clock.advance(by: .seconds(4))
        #expect(cache.get(try key(tool: "short")) == [1])
        clock.advance(by: .seconds(1))
        #expect(cache.get(try key(tool: "short")) == nil)
        #expect(cache.get(try key(tool: "long")) == [2])
        #expect(cache.get(try key(tool: "never")) == nil)
        clock.advance(by: .seconds(100))
        #expect(cache.purgeExpired() == 1)
        let stats = cache.stats
        #expect(stats.expirations == 2)
        #expect(stats.entries == 0)
        #expect(stats.bytes == 0)
        #expect(stats.hits == 2)
        #expect(stats.misses == 2)
    }

    @Test("the byte budget evicts least recently used entries first")
    func lru() throws {
        let overhead = try key(tool: "a").canonicalArguments.utf8.count + "ds".count + "as".count + 1 + 64
        // Room for exactly three 100-byte values.
        let cache = ToolResultCache(maxBytes: 3 * (100 + overhead))
        for tool in ["a", "b", "c"] {
            cache.put(try key(tool: tool), value: Array(repeating: 0, count: 100), ttl: .seconds(60))
        }
        #expect(cache.stats.entries == 3)
        _ = cache.get(try key(tool: "a"))
        cache.put(try key(tool: "d"), value: Array(repeating: 0, count: 100), ttl: .seconds(60))
        #expect(cache.get(try key(tool: "b")) == nil)
        #expect(cache.get(try key(tool: "a")) != nil)
        #expect(cache.get(try key(tool: "c")) != nil)
        #expect(cache.get(try key(tool: "d")) != nil)
        #expect(cache.stats.evictions == 1)
        #expect(cache.stats.bytes == 3 * (100 + overhead))

        cache.put(try key(tool: "huge"), value: Array(repeating: 0, count: 10_000), ttl: .seconds(60))
        #expect(cache.get(try key(tool: "huge")) == nil)
        #expect(cache.stats.entries == 3)
    }

    @Test("replacing an entry updates value and byte count")
    func replace() throws {
        let cache = ToolResultCache()
        cache.put(try key(), value: [1, 2, 3, 4], ttl: .seconds(60))
        let before = cache.stats.bytes
        cache.put(try key(), value: [9], ttl: .seconds(60))
        #expect(cache.get(try key()) == [9])
        #expect(cache.stats.entries == 1)
        #expect(cache.stats.bytes == before - 3)
    }

    @Test("invalidating a downstream drops only its entries")
    func invalidate() throws {
        let cache = ToolResultCache()
        for tool in ["a", "b"] {
            cache.put(try key("gh", tool: tool), value: [1], ttl: .seconds(60))
            cache.put(try key("fs", tool: tool), value: [2], ttl: .seconds(60))
        }
        #expect(cache.invalidate(downstreamId: "gh") == 2)
        #expect(cache.invalidate(downstreamId: "gh") == 0)
        #expect(cache.get(try key("gh", tool: "a")) == nil)
        #expect(cache.get(try key("fs", tool: "a")) == [2])
        #expect(cache.stats.invalidations == 2)
        cache.flush()
        #expect(cache.stats.entries == 0)
        #expect(cache.get(try key("fs", tool: "b")) == nil)
    }

    @Test("auth scopes keep results apart")
    func authScopes() throws {
        let cache = ToolResultCache()
        let work = ToolResultCache.Key(downstreamId: "gh", authScopeId: "work", tool: "t", canonicalArguments: "{}")
        let personal = ToolResultCache.Key(downstreamId: "gh", authScopeId: nil, tool: "t", canonicalArguments: "{}")
        cache.put(work, value: [1], ttl: .seconds(1))
        #expect(cache.get(personal) == nil)
        #expect(cache.get(work) == [1])
    }

    @Test("stats encode as snake_case JSON")
    func statsJSON() throws {
        let object =
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(ToolResultCache().stats)) as? [String: Any]
        #expect(
            Set(object?.keys ?? [:].keys) == [
                "hits", "misses", "entries", "bytes", "max_bytes", "evictions", "expirations", "invalidations",
            ])
    }
}
