/// The scopes a resolution walks, innermost first, global last, each with the subpath its rules'
/// path globs are matched against.
///
/// - From a client root: every workspace whose canonical root is an ancestor-or-equal of the
///   canonical client root, deepest first (workspaces sharing a root: id ascending), then global.
///   A workspace's subpath is the client root relative to its root.
/// - From a workspace name (`--workspace NAME`): that workspace with subpath `""`, then the other
///   workspaces whose roots contain its root, deepest first, then global. This is the chain a
///   client standing at the named root would get, except the named workspace always comes first.
///
/// The global scope is rooted at `/`: its subpath is the client root without the leading `/`
/// (with a named workspace, that workspace's root without it). Global path globs therefore mean
/// the same thing whether or not a workspace contains the client (`home/*/work/**`,
/// `**/secrets/**`).
public struct WorkspaceChain: Sendable, Hashable {
    /// One scope of the chain.
    public struct Link: Sendable, Hashable {
        public let scope: ScopeRef
        /// Index into `RoutingConfig.scopes`.
        let scopeIndex: Int

        public var subpath: String { scope.subpath }
    }

    /// The canonical location the chain was computed for.
    public let clientRoot: String
    public let links: [Link]
    /// The workspace the client named, when built by ``init(workspaceNamed:config:)``.
    public let namedWorkspace: String?
    /// The snapshot whose scope indices `links` refer to.
    let identity: RoutingConfig.Identity

    /// Builds the chain for a client root (normalised and canonicalised here).
    public init(clientRoot: String, config: RoutingConfig) throws(PathError) {
        let root = try RoutingConfig.canonical(clientRoot, config.canonicalize)
        self.clientRoot = root
        namedWorkspace = nil
        identity = config.identity
        var links: [Link] = []
        // Walk the root and each parent directory, deepest first: O(depth) dictionary lookups on
        // substrings of `root` (byte-indexed, no allocation per candidate).
        let bytes = root.utf8
        let afterFirstSlash = bytes.index(after: bytes.startIndex)
        var end = bytes.endIndex
        while true {
            if let indices = config.scopesByRoot[root[..<end]] {
                for index in indices {
                    links.append(Self.link(config.scopes[index], index: index, clientRoot: root))
                }
            }
            guard end != afterFirstSlash else { break }
            var slash = bytes.index(before: end)
            while bytes[slash] != UInt8(ascii: "/") { slash = bytes.index(before: slash) }
            // The parent of "/a" is "/" itself, which keeps its slash.
            end = slash == bytes.startIndex ? afterFirstSlash : slash
        }
        links.append(Link(scope: .global(subpath: PathNormalizer.relative(root, to: "/")), scopeIndex: 0))
        self.links = links
    }

    /// Builds the chain for a named workspace; nil when no workspace has that name.
    public init?(workspaceNamed name: String, config: RoutingConfig) {
        guard let named = config.scopesByName[name] else { return nil }
        let root = config.scopes[named].root
        guard let fromRoot = try? WorkspaceChain(clientRoot: root, config: config) else { return nil }
        let namedLink = Self.link(config.scopes[named], index: named, clientRoot: root)
        clientRoot = root
        links = [namedLink] + fromRoot.links.filter { $0.scopeIndex != named }
        namedWorkspace = name
        identity = config.identity
    }

    /// This chain, or the same request recomputed when the chain belongs to another snapshot:
    /// by name when the workspace still exists, else by location. nil only if neither works.
    func valid(for config: RoutingConfig) -> WorkspaceChain? {
        if identity === config.identity { return self }
        if let namedWorkspace, let chain = WorkspaceChain(workspaceNamed: namedWorkspace, config: config) {
            return chain
        }
        return try? WorkspaceChain(clientRoot: clientRoot, config: config)
    }

    public static func == (lhs: WorkspaceChain, rhs: WorkspaceChain) -> Bool {
        lhs.clientRoot == rhs.clientRoot && lhs.namedWorkspace == rhs.namedWorkspace && lhs.links == rhs.links
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(clientRoot)
        hasher.combine(namedWorkspace)
        hasher.combine(links)
    }

    /// Scopes as shown in decisions.
    public var scopes: [ScopeRef] { links.map(\.scope) }

    /// The innermost workspace link, nil when only the global scope applies.
    public var innermostWorkspace: Link? {
        links.first { $0.scope.kind == .workspace }
    }

    private static func link(_ scope: RoutingScope, index: Int, clientRoot: String) -> Link {
        Link(
            scope: ScopeRef(
                kind: .workspace, id: scope.workspace?.id, name: scope.name, rootPath: scope.root,
                subpath: PathNormalizer.relative(clientRoot, to: scope.root)),
            scopeIndex: index)
    }
}
