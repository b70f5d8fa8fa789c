/// An immutable snapshot of everything routing needs, built once per configuration generation
/// and shared by every resolution (it is `Sendable` and never mutated).
///
/// Building it normalises and canonicalises workspace roots, compiles every rule's globs, sorts
/// each scope's rules in resolver order (priority DESC, ``RuleSpecificity`` DESC, id ASC) and
/// indexes them by namespace, so a resolution is a short merge of two sorted lists per scope.
public struct RoutingConfig: Sendable {
    /// Bumped by every configuration write; caches compare it to know when to drop entries.
    public let generation: UInt64
    /// Policy when no rule matches and no workspace contains the client root.
    public let globalDefaultPolicy: Policy
    /// Resolves symlinks in a normalised absolute path (the caller injects `realpath`).
    public let canonicalize: @Sendable (String) -> String

    /// Index 0 is the global scope; the others are workspaces.
    let scopes: [RoutingScope]
    /// Canonical root → indices of workspace scopes with that root, by workspace id ascending.
    let scopesByRoot: [Substring: [Int]]
    let scopesByName: [String: Int]
    let downstreamsById: [String: Downstream]
    let downstreamsByNamespace: [String: Downstream]
    let authScopesById: [String: AuthScope]
    /// Downstream id → tools quarantined because their definition changed since approval (tool
    /// pinning), by the server's name for them and by their client-visible name after `ns__`.
    let quarantinedTools: [String: Set<String>]

    /// Identity of this snapshot: chains remember it, so a chain computed against another
    /// snapshot (whose scope indices mean something else) is recomputed instead of misread.
    final class Identity: Sendable {}
    let identity = Identity()

    /// Builds the snapshot.
    ///
    /// - Parameters:
    ///   - canonicalize: applied to every workspace root here and to client roots at resolution;
    ///     its result is normalised again, and ignored if it is not an absolute path.
    /// - Throws: ``RoutingConfigError`` for an invalid glob or workspace root, a rule naming an
    ///   unknown workspace, or duplicate rule ids, workspace names or namespaces.
    public init(
        generation: UInt64,
        workspaces: [Workspace],
        downstreams: [Downstream],
        rules: [RouteRule],
        authScopes: [AuthScope],
        globalDefaultPolicy: Policy,
        canonicalize: @escaping @Sendable (String) -> String = { $0 },
        quarantinedTools: [String: Set<String>] = [:]
    ) throws(RoutingConfigError) {
        self.generation = generation
        self.globalDefaultPolicy = globalDefaultPolicy
        self.canonicalize = canonicalize

        var ruleIds = Set<String>()
        for rule in rules where !ruleIds.insert(rule.id).inserted {
            throw .duplicateRuleId(rule.id)
        }

        // Workspaces in id order so equal roots and scope indices are deterministic.
        let orderedWorkspaces = workspaces.sorted { $0.id.utf8.lexicographicallyPrecedes($1.id.utf8) }
        var rulesByWorkspace: [String: [CompiledRule]] = [:]
        var globalRules: [CompiledRule] = []
        let workspaceNames = Dictionary(workspaces.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        for rule in rules {
            if let workspaceId = rule.workspaceId {
                guard let name = workspaceNames[workspaceId] else {
                    throw .unknownWorkspace(ruleId: rule.id, workspaceId: workspaceId)
                }
                let compiled = try CompiledRule(rule: rule, scopeName: name, scopeLabel: "workspace '\(name)'")
                rulesByWorkspace[workspaceId, default: []].append(compiled)
            } else {
                globalRules.append(try CompiledRule(rule: rule, scopeName: "global", scopeLabel: "global"))
            }
        }

        var scopes = [RoutingScope(workspace: nil, root: "/", rules: globalRules)]
        var byRoot: [Substring: [Int]] = [:]
        var byName: [String: Int] = [:]
        for workspace in orderedWorkspaces {
            let root: String
            do {
                root = try Self.canonical(workspace.rootPath, canonicalize)
            } catch {
                throw .invalidWorkspaceRoot(workspace: workspace.name, error)
            }
            guard byName[workspace.name] == nil else { throw .duplicateWorkspaceName(workspace.name) }
            byName[workspace.name] = scopes.count
            byRoot[Substring(root), default: []].append(scopes.count)
            scopes.append(RoutingScope(workspace: workspace, root: root, rules: rulesByWorkspace[workspace.id] ?? []))
        }
        self.scopes = scopes
        scopesByRoot = byRoot
        scopesByName = byName

        var byId: [String: Downstream] = [:]
        var byNamespace: [String: Downstream] = [:]
        for downstream in downstreams {
            byId[downstream.id] = downstream
            guard byNamespace[downstream.namespace] == nil else { throw .duplicateNamespace(downstream.namespace) }
            byNamespace[downstream.namespace] = downstream
        }
        downstreamsById = byId
        downstreamsByNamespace = byNamespace
        authScopesById = Dictionary(authScopes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.quarantinedTools = quarantinedTools.reduce(into: [:]) { result, entry in
            guard let namespace = byId[entry.key]?.namespace else { return }
            let prefix = namespace + ToolNaming.separator
            result[entry.key] = entry.value.union(
                entry.value.map {
                    String(ToolNaming.visibleName(namespace: namespace, name: $0).dropFirst(prefix.count))
                })
        }
    }

    /// The workspace with this name, if any.
    public func workspace(named name: String) -> Workspace? {
        scopesByName[name].flatMap { scopes[$0].workspace }
    }

    /// Canonical root of the named workspace (after normalisation and `canonicalize`).
    public func canonicalRoot(ofWorkspaceNamed name: String) -> String? {
        scopesByName[name].map { scopes[$0].root }
    }

    /// Number of rules in the snapshot (disabled ones included).
    /// Every downstream of the snapshot, by name.
    public var downstreams: [Downstream] {
        downstreamsById.values.sorted { $0.name < $1.name }
    }

    public func downstream(id: String) -> Downstream? {
        downstreamsById[id]
    }

    /// Whether a server, or one tool of it (by its name on the server or after the namespace),
    /// waits for review: quarantined until `junction server approve` or `approve-tools`.
    public func awaitsReview(downstreamId: String, tool: String?) -> Bool {
        if downstreamsById[downstreamId]?.quarantined == true { return true }
        guard let tool else { return false }
        return quarantinedTools[downstreamId]?.contains(tool) == true
    }

    public func downstream(namespace: String) -> Downstream? {
        downstreamsByNamespace[namespace]
    }

    public var ruleCount: Int {
        scopes.reduce(0) { $0 + $1.rules.count }
    }

    /// Normalise, canonicalise, normalise again; a canonicalizer answer that is not absolute is
    /// ignored rather than trusted.
    static func canonical(_ path: String, _ canonicalize: (String) -> String) throws(PathError) -> String {
        let normalized = try PathNormalizer.normalize(path)
        return (try? PathNormalizer.normalize(canonicalize(normalized))) ?? normalized
    }
}
