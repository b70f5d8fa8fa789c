import JunctionCore
import JunctionStore

/// What the engine routes by, asked for by intent: sessions and controllers name what they want
/// (a server, a workspace, a decision for a target) rather than reaching through the live routing,
/// its cached resolver and the resolver's configuration.
extension GatewayEngine {
    /// The routing configuration in force (one consistent snapshot: read it once when several
    /// answers must agree).
    public var configuration: RoutingConfig { routing.resolver.resolver.config }

    /// The generation of the configuration in force.
    public var configurationGeneration: UInt64 { routing.resolver.generation }

    /// Every configured server, enabled or not.
    public var downstreams: [Downstream] { configuration.downstreams }

    /// The configured server with this id.
    public func downstream(id: String) -> Downstream? {
        configuration.downstream(id: id)
    }

    /// The configured server with this name.
    public func downstream(named name: String) -> Downstream? {
        configuration.downstreams.first { $0.name == name }
    }

    /// The workspace with this name.
    public func workspace(named name: String) -> Workspace? {
        configuration.workspace(named: name)
    }

    /// Whether the server, or this tool of it, is quarantined until someone reviews it.
    public func awaitsReview(downstreamId: String, tool: String?) -> Bool {
        configuration.awaitsReview(downstreamId: downstreamId, tool: tool)
    }

    /// The routing decision for a tool called from a folder (tier-1 cached).
    public func route(tool: String, clientRoot: String) -> Decision {
        routing.resolver.resolve(tool: tool, clientRoot: clientRoot)
    }

    /// The routing decision for a tool called in a named workspace (tier-1 cached); nil when no
    /// workspace has that name.
    public func route(tool: String, workspaceName: String) -> Decision? {
        routing.resolver.resolve(tool: tool, workspaceName: workspaceName)
    }

    /// The routing decision for a tool called by a client working at `target`: a workspace that
    /// no longer exists routes as a client outside every workspace.
    public func route(tool: String, for target: ClientTarget) -> Decision {
        switch target {
        case .workspace(let name):
            route(tool: tool, workspaceName: name) ?? route(tool: tool, clientRoot: "/")
        case .folder(let path):
            route(tool: tool, clientRoot: path)
        }
    }

    /// The folder a target works in: its own, or its workspace's root.
    public func rootPath(of target: ClientTarget) -> String? {
        switch target {
        case .folder(let path): path
        case .workspace(let name): workspace(named: name)?.rootPath
        }
    }

    /// The routing decision cache's counters.
    public var routeCacheStats: DecisionCache.Stats { routing.resolver.stats }

    /// Drops every cached routing decision.
    public func flushRouteCache() {
        routing.resolver.flush()
    }

    /// Loads the stored configuration now when it is newer than the one in force (the engine
    /// follows changes by itself; this is for a caller that must route by its own write at once).
    /// Returns whether it reloaded.
    @discardableResult
    public func reloadConfiguration() throws(StoreError) -> Bool {
        try routing.refresh()
    }
}
