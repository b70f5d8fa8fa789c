import Foundation
import JunctionCore
import Testing

@Suite("DecisionCache")
struct DecisionCacheTests {
    func decision(_ tool: String, _ policy: Policy = .allow) -> Decision {
        Decision(toolName: tool, decision: policy, reason: "test")
    }

    func key(_ tool: String, root: String = "/w") -> DecisionCache.Key {
        DecisionCache.Key(location: root, tool: tool)
    }

    @Test("counts hits and misses")
    func hitsAndMisses() {
        let cache = DecisionCache(capacity: 4, generation: 1)
        #expect(cache.lookup(key("a")) == nil)
        cache.insert(decision("a"), for: key("a"), generation: 1)
        #expect(cache.lookup(key("a")) == decision("a"))
        #expect(cache.lookup(key("a", root: "/other")) == nil)
        #expect(
            cache.stats == DecisionCache.Stats(hits: 1, misses: 2, size: 1, evictions: 0, capacity: 4, generation: 1))
    }

    @Test("stays within capacity, giving recently used entries a second chance")
    func eviction() {
        let cache = DecisionCache(capacity: 3, generation: 1)
        for tool in ["a", "b", "c"] { cache.insert(decision(tool), for: key(tool), generation: 1) }
        _ = cache.lookup(key("a"))
        cache.insert(decision("d"), for: key("d"), generation: 1)
        #expect(cache.stats.size == 3)
        #expect(cache.stats.evictions == 1)
        #expect(cache.lookup(key("a")) != nil)
        #expect(cache.lookup(key("b")) == nil)
        for index in 0..<100 { cache.insert(decision("x\(index)"), for: key("x\(index)"), generation: 1) }
        #expect(cache.stats.size == 3)
        #expect(cache.stats.evictions == 101)
    }

    @Test("a reset drops entries and refuses inserts from the old generation")
    func generations() {
        let cache = DecisionCache(capacity: 8, generation: 1)
        cache.insert(decision("a"), for: key("a"), generation: 1)
        cache.reset(generation: 2)
        #expect(cache.lookup(key("a")) == nil)
        cache.insert(decision("a", .deny), for: key("a"), generation: 1)
        #expect(cache.lookup(key("a")) == nil)
        cache.insert(decision("a", .deny), for: key("a"), generation: 2)
        #expect(cache.lookup(key("a"))?.decision == .deny)
        cache.flush()
        #expect(cache.stats.size == 0)
        #expect(cache.generation == 2)
    }

    @Test("stats encode as snake_case JSON")
    func statsJSON() throws {
        let stats = DecisionCache(capacity: 2).stats
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(stats)) as? [String: Any]
        #expect(Set(object?.keys ?? [:].keys) == ["hits", "misses", "size", "evictions", "capacity", "generation"])
    }

    @Test("the cached resolver memoises and drops everything on a new generation")
    func cachedResolver() throws {
        let first = try Fixture.config(generation: 1, rules: [Fixture.rule("a", "github__*", .deny)])
        let cached = CachedRouteResolver(config: first, capacity: 16)
        #expect(cached.resolve(tool: "github__x", clientRoot: "/work/app").decision == .deny)
        #expect(cached.resolve(tool: "github__x", clientRoot: "/work/app").decision == .deny)
        #expect(cached.stats.hits == 1)
        #expect(cached.stats.misses == 1)

        let sameGeneration = try Fixture.config(generation: 1, rules: [])
        #expect(!cached.update(config: sameGeneration))
        #expect(cached.resolve(tool: "github__x", clientRoot: "/work/app").decision == .deny)

        let second = try Fixture.config(generation: 2, rules: [Fixture.rule("a", "github__*", .approve)])
        #expect(cached.update(config: second))
        #expect(cached.stats.size == 0)
        #expect(cached.resolve(tool: "github__x", clientRoot: "/work/app").decision == .approve)
        #expect(cached.generation == 2)

        #expect(cached.resolve(tool: "github__x", workspaceName: "app")?.decision == .approve)
        #expect(cached.resolve(tool: "github__x", workspaceName: "app")?.decision == .approve)
        #expect(cached.resolve(tool: "github__x", workspaceName: "missing") == nil)
        #expect(cached.trace(tool: "github__x", clientRoot: "/work/app").trace?.count == 1)
        cached.flush()
        #expect(cached.stats.size == 0)
    }

    @Test("the cached resolver always agrees with the uncached one", arguments: [21, 22, 23] as [UInt64])
    func cachedAgreesWithUncached(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        var config = try RandomConfig.config(generation: 0, ruleCount: 40, using: &rng)
        // A small capacity so evictions happen along the way.
        let cached = CachedRouteResolver(config: config, capacity: 24)
        var generation: UInt64 = 0
        for _ in 0..<3_000 {
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<3:
                generation += 1
                config = try RandomConfig.config(generation: generation, ruleCount: 40, using: &rng)
                cached.update(config: config)
            case 3:
                cached.flush()
            default:
                let tool = RandomConfig.tool(using: &rng)
                let root = RandomConfig.clientRoots.randomElement(using: &rng) ?? "/"
                let uncached = RouteResolver(config: config)
                #expect(cached.resolve(tool: tool, clientRoot: root) == uncached.resolve(tool: tool, clientRoot: root))
                let name = "ws\(Int.random(in: 0..<6, using: &rng))"
                #expect(
                    cached.resolve(tool: tool, workspaceName: name) == uncached.resolve(tool: tool, workspaceName: name)
                )
            }
        }
        #expect(cached.stats.hits > 0)
        #expect(cached.stats.evictions > 0)
    }

    @Test("concurrent lookups and config changes stay consistent")
    func concurrency() async throws {
        var rng = SplitMix64(seed: 99)
        let configs = try (1...4).map { try RandomConfig.config(generation: UInt64($0), ruleCount: 30, using: &rng) }
        let cached = CachedRouteResolver(config: configs[0], capacity: 64)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    var local = SplitMix64(seed: UInt64(worker))
                    for _ in 0..<500 {
                        let tool = RandomConfig.tool(using: &local)
                        let root = RandomConfig.clientRoots.randomElement(using: &local) ?? "/"
                        _ = cached.resolve(tool: tool, clientRoot: root)
                    }
                }
            }
            group.addTask {
                for config in configs.dropFirst() { cached.update(config: config) }
            }
        }
        // After the dust settles every cached answer matches the final configuration.
        let final = RouteResolver(config: try #require(configs.last))
        for tool in ["github__read", "fs__write_file", "db__list"] {
            for root in RandomConfig.clientRoots {
                #expect(cached.resolve(tool: tool, clientRoot: root) == final.resolve(tool: tool, clientRoot: root))
            }
        }
    }
}
