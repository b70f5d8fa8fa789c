import Synchronization

/// The resolver the gateway calls on every tool call: the current ``RouteResolver`` plus the
/// tier-1 ``DecisionCache``. Thread-safe; share one instance.
///
/// Trace requests bypass the cache (a trace is for humans, and cached decisions carry none).
/// Hits key on the client root exactly as passed, so pass the normalised root you already hold:
/// a hit then does no path work, no symlink resolution and no chain building.
public final class CachedRouteResolver: Sendable {
    private let current: Mutex<RouteResolver>
    /// The tier-1 cache, for stats and flushing.
    public let cache: DecisionCache

    /// - Parameters:
    ///   - config: the initial snapshot.
    ///   - capacity: maximum number of memoised decisions.
    public init(config: RoutingConfig, capacity: Int = 10_000) {
        current = Mutex(RouteResolver(config: config))
        cache = DecisionCache(capacity: capacity, generation: config.generation)
    }

    /// The resolver for the current configuration.
    public var resolver: RouteResolver {
        current.withLock { $0 }
    }

    /// The current configuration generation.
    public var generation: UInt64 {
        current.withLock { $0.config.generation }
    }

    /// Same decision as `RouteResolver.resolve(tool:clientRoot:)`, memoised.
    public func resolve(tool: String, clientRoot: String) -> Decision {
        let key = DecisionCache.Key(kind: .clientRoot, location: clientRoot, tool: tool)
        if let hit = cache.lookup(key) { return hit }
        let resolver = self.resolver
        let decision = resolver.resolve(tool: tool, clientRoot: clientRoot)
        cache.insert(decision, for: key, generation: resolver.config.generation)
        return decision
    }

    /// Same decision as `RouteResolver.resolve(tool:workspaceName:)`, memoised; nil (not cached)
    /// when no workspace has that name.
    public func resolve(tool: String, workspaceName: String) -> Decision? {
        let key = DecisionCache.Key(kind: .workspaceName, location: workspaceName, tool: tool)
        if let hit = cache.lookup(key) { return hit }
        let resolver = self.resolver
        guard let decision = resolver.resolve(tool: tool, workspaceName: workspaceName) else { return nil }
        cache.insert(decision, for: key, generation: resolver.config.generation)
        return decision
    }

    /// Uncached resolution with the full trace (dry-run).
    public func trace(tool: String, clientRoot: String) -> Decision {
        resolver.resolve(tool: tool, clientRoot: clientRoot, trace: true)
    }

    /// Installs `config` when its generation differs from the current one and drops tier 1.
    /// Returns whether anything changed.
    @discardableResult
    public func update(config: RoutingConfig) -> Bool {
        current.withLock { resolver in
            guard resolver.config.generation != config.generation else { return false }
            // Reset first: from here on inserts computed with the old resolver are refused.
            cache.reset(generation: config.generation)
            resolver = RouteResolver(config: config)
            return true
        }
    }

    /// Drops every cached decision.
    public func flush() {
        cache.flush()
    }

    /// Tier-1 counters.
    public var stats: DecisionCache.Stats {
        cache.stats
    }
}
