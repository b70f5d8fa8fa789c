import Foundation
import Hummingbird
import JunctionCore
import JunctionStore

/// `GET /api/v1/cache/stats` and `POST /api/v1/cache/flush`: the two cache tiers, route
/// decisions (tier 1) and results of read-only tool calls (tier 2).
struct CacheController {
    let environment: ServerEnvironment

    struct Stats: Encodable {
        var route: Layer
        var toolCall: Layer

        enum CodingKeys: String, CodingKey {
            case route
            case toolCall = "tool_call"
        }
    }

    struct Layer: Encodable {
        var hits: UInt64
        var misses: UInt64
        var hitRate: Double
        var entries: Int
        var capacity: Int?
        var bytes: Int?
        var maxBytes: Int?
        var evictions: UInt64
        var generation: UInt64?
        var ttlSec: Int?

        enum CodingKeys: String, CodingKey {
            case hits, misses, entries, capacity, bytes, evictions, generation
            case hitRate = "hit_rate"
            case maxBytes = "max_bytes"
            case ttlSec = "ttl_sec"
        }
    }

    struct FlushRequest: Decodable {
        enum Layer: String, Decodable {
            case toolCall = "tool_call"
            case route
            case all
        }

        var layer: Layer
        var serverId: String?

        enum CodingKeys: String, CodingKey {
            case layer
            case serverId = "server_id"
        }
    }

    struct FlushResponse: Encodable {
        var layer: String
        var serverId: String?
        var flushed: Flushed

        struct Flushed: Encodable {
            var route: Int
            var toolCall: Int

            enum CodingKeys: String, CodingKey {
                case route
                case toolCall = "tool_call"
            }
        }

        enum CodingKeys: String, CodingKey {
            case layer, flushed
            case serverId = "server_id"
        }
    }

    func addRoutes(to group: RouterGroup<APIContext>) {
        group.get("cache/stats") { _, _ -> Response in
            try APIResponse.json(Self.stats(environment))
        }
        group.post("cache/flush") { request, context -> Response in
            let body = try await request.decodeJSON(FlushRequest.self, context: context)
            let engine = environment.engine
            var flushed = FlushResponse.Flushed(route: 0, toolCall: 0)
            var serverId: String?
            if let requested = body.serverId {
                serverId = try DownstreamRepository(environment.database).get(requested).id
            }
            if body.layer == .route || body.layer == .all {
                // Decisions are not kept per server: the route layer is flushed whole.
                flushed.route = engine.routeCacheStats.size
                engine.flushRouteCache()
            }
            if body.layer == .toolCall || body.layer == .all {
                if let serverId {
                    flushed.toolCall = engine.resultCache.invalidate(downstreamId: serverId)
                } else {
                    flushed.toolCall = engine.resultCache.stats.entries
                    engine.resultCache.flush()
                }
            }
            return try APIResponse.json(FlushResponse(layer: body.layer.rawValue, serverId: serverId, flushed: flushed))
        }
    }

    static func stats(_ environment: ServerEnvironment) -> Stats {
        let route = environment.engine.routeCacheStats
        let results = environment.engine.resultCache.stats
        func rate(_ hits: UInt64, _ misses: UInt64) -> Double {
            hits + misses == 0 ? 0 : Double(hits) / Double(hits + misses)
        }
        let ttl = try? SettingsRepository(environment.database).value(.readOnlyCacheTTLSec)
        return Stats(
            route: Layer(
                hits: route.hits, misses: route.misses, hitRate: rate(route.hits, route.misses), entries: route.size,
                capacity: route.capacity, evictions: route.evictions, generation: route.generation),
            toolCall: Layer(
                hits: results.hits, misses: results.misses, hitRate: rate(results.hits, results.misses),
                entries: results.entries, bytes: results.bytes, maxBytes: results.maxBytes,
                evictions: results.evictions, ttlSec: ttl))
    }
}
