import Foundation
import JunctionCore

/// Routing that stays current: a cached resolver over the stored configuration, reloaded (and its
/// tier-1 cache dropped) whenever any process changes the configuration.
public final class LiveRouting: Sendable {
    public let resolver: CachedRouteResolver
    private let loader: RoutingConfigLoader
    private let watcher: ConfigWatcher

    public init(
        _ database: AppDatabase,
        canonicalize: @escaping @Sendable (String) -> String = PathCanonicalizer.resolvingSymlinks,
        pollInterval: Duration = .milliseconds(250),
        cacheCapacity: Int = 10_000
    ) throws(StoreError) {
        loader = RoutingConfigLoader(database, canonicalize: canonicalize)
        watcher = ConfigWatcher(database, interval: pollInterval)
        resolver = CachedRouteResolver(config: try loader.load(), capacity: cacheCapacity)
    }

    /// Reloads the configuration when the stored generation differs from the one in use.
    /// Returns true when it reloaded.
    @discardableResult
    public func refresh() throws(StoreError) -> Bool {
        guard try watcher.database.generation() != resolver.generation else { return false }
        return resolver.update(config: try loader.load())
    }

    /// Follows configuration changes until the calling task is cancelled, calling `onReload` with
    /// the new generation after each reload (the daemon tells sessions their tools changed). A
    /// configuration that fails to load keeps the previous one in force until the next change.
    public func run(onReload: @Sendable (UInt64) -> Void = { _ in }) async {
        for await _ in watcher.changes(from: resolver.generation) {
            if (try? refresh()) == true { onReload(resolver.generation) }
        }
    }
}
