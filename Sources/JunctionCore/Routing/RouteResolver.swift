/// Decides what happens to a tool call (DESIGN.md §4). Pure and `Sendable`: one resolver per
/// ``RoutingConfig`` snapshot, shared by every session.
///
/// Semantics:
/// 1. Walk the ``WorkspaceChain`` innermost first, global last.
/// 2. In each scope the first enabled rule, in resolver order (priority DESC,
///    ``RuleSpecificity`` DESC, id ASC), whose tool pattern matches the client-visible name and
///    whose path glob matches that scope's subpath decides. Deny stops; allow/approve route to the
///    rule's downstream (the namespace owner when it names none) with the rule's auth scope.
/// 3. No rule anywhere: the innermost workspace's default policy, applied to the namespace owner;
///    no workspace in the chain: `globalDefaultPolicy`.
/// 4. Routing is never guessed. An allow/approve turns into deny, with the reason, when the tool
///    name has no `namespace__tool` form, no downstream owns the namespace, the rule names an
///    unknown downstream or auth scope, the auth scope belongs to another downstream, or the
///    downstream is disabled or quarantined, or the tool is quarantined (its definition changed).
public struct RouteResolver: Sendable {
    /// The snapshot this resolver answers for.
    public let config: RoutingConfig

    /// A resolver over `config`; cheap (the snapshot is shared, not copied).
    public init(config: RoutingConfig) {
        self.config = config
    }

    /// Resolves `tool` for a client working at `clientRoot` (absolute; normalised and
    /// canonicalised here). A client root that is not an absolute path is denied, with the reason.
    public func resolve(tool: String, clientRoot: String, trace: Bool = false) -> Decision {
        let chain: WorkspaceChain
        do {
            chain = try WorkspaceChain(clientRoot: clientRoot, config: config)
        } catch {
            return Decision(
                toolName: tool, decision: .deny, reason: "client root is unusable: \(error)",
                trace: trace ? [] : nil)
        }
        return resolve(tool: tool, chain: chain, trace: trace)
    }

    /// Resolves `tool` for a client that named a workspace (`--workspace NAME`); nil when no
    /// workspace has that name, so the caller can report it instead of silently routing globally.
    public func resolve(tool: String, workspaceName: String, trace: Bool = false) -> Decision? {
        guard let chain = WorkspaceChain(workspaceNamed: workspaceName, config: config) else { return nil }
        return resolve(tool: tool, chain: chain, trace: trace)
    }

    /// Resolves `tool` over an already computed chain (reuse one chain for a whole tools/list).
    /// A chain computed against another snapshot is recomputed for this one.
    public func resolve(tool: String, chain: WorkspaceChain, trace: Bool = false) -> Decision {
        guard let chain = chain.valid(for: config) else {
            return Decision(
                toolName: tool, decision: .deny, reason: "client root '\(chain.clientRoot)' is unusable",
                trace: trace ? [] : nil)
        }
        let namespace = Self.namespace(of: tool)
        if trace {
            let (match, entries) = tracedMatch(tool: tool, chain: chain)
            var decision = decide(tool: tool, namespace: namespace, chain: chain, match: match)
            decision.trace = entries
            return decision
        }
        var match: RuleMatch?
        for (linkIndex, link) in chain.links.enumerated() {
            let scope = config.scopes[link.scopeIndex]
            if let ruleIndex = scope.firstMatch(tool: tool, namespace: namespace, subpath: link.subpath) {
                match = RuleMatch(linkIndex: linkIndex, rule: scope.rules[ruleIndex])
                break
            }
        }
        return decide(tool: tool, namespace: namespace, chain: chain, match: match)
    }

    /// The namespace of a client-visible name: the text before the first `__`.
    public static func namespace(of tool: String) -> Substring? {
        // A byte scan: this runs on every uncached resolution, and `_` is ASCII so any byte
        // index found is a valid character boundary.
        let bytes = tool.utf8
        var index = bytes.startIndex
        var previousWasUnderscore = false
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: "_") {
                if previousWasUnderscore { return tool[..<bytes.index(before: index)] }
                previousWasUnderscore = true
            } else {
                previousWasUnderscore = false
            }
            bytes.formIndex(after: &index)
        }
        return nil
    }

    struct RuleMatch {
        let linkIndex: Int
        let rule: CompiledRule
    }

    /// Turns the deciding rule (or the default) into a decision, validating the route.
    private func decide(tool: String, namespace: Substring?, chain: WorkspaceChain, match: RuleMatch?) -> Decision {
        let innermost = chain.innermostWorkspace
        let policy: Policy
        let because: String
        if let match {
            policy = match.rule.rule.policy
            let verb =
                switch policy {
                case .allow: "allows"
                case .deny: "denies"
                case .approve: "requires approval for"
                }
            let location = match.rule.pathGlob.matchesEverything ? "" : " at '\(match.rule.rule.pathGlob)'"
            because = "\(match.rule.label) \(verb) \(match.rule.rule.toolPattern)\(location)"
        } else if let innermost, let workspace = config.scopes[innermost.scopeIndex].workspace {
            policy = workspace.defaultPolicy
            because = "no rule matched; workspace '\(workspace.name)' default policy is \(policy.rawValue)"
        } else {
            policy = config.globalDefaultPolicy
            because =
                "no rule matched and no workspace contains '\(chain.clientRoot)'; "
                + "global default policy is \(policy.rawValue)"
        }

        let route = self.route(tool: tool, namespace: namespace, rule: match?.rule.rule)
        let outcome: Policy
        let reason: String
        if policy == .deny {
            (outcome, reason) = (.deny, because)
        } else if let problem = route.problem {
            (outcome, reason) = (.deny, "\(because), but \(problem)")
        } else {
            (outcome, reason) = (policy, because)
        }
        return Decision(
            toolName: tool, decision: outcome, reason: reason, workspace: innermost?.scope, chain: chain.scopes,
            matchedRule: match?.rule.ref, downstream: route.downstream.map(Decision.DownstreamRef.init),
            authScope: outcome == .deny ? nil : route.authScope.map(Decision.AuthScopeRef.init),
            downstreamToolName: route.downstream == nil ? nil : route.toolName)
    }

    private struct Route {
        var downstream: Downstream?
        var toolName: String?
        var authScope: AuthScope?
        /// Why the call cannot be routed, as a clause ("no downstream owns namespace 'x'").
        var problem: String?
    }

    private func route(tool: String, namespace: Substring?, rule: RouteRule?) -> Route {
        var route = Route()
        guard let namespace else {
            route.problem = "tool name '\(tool)' has no namespace (expected 'namespace__tool')"
            return route
        }
        let toolName = String(tool[tool.utf8.index(namespace.endIndex, offsetBy: 2)...])
        route.toolName = toolName
        if let downstreamId = rule?.downstreamId {
            guard let downstream = config.downstreamsById[downstreamId] else {
                route.problem = "it names unknown downstream '\(downstreamId)'"
                return route
            }
            route.downstream = downstream
        } else {
            guard let owner = config.downstreamsByNamespace[String(namespace)] else {
                route.problem = "no downstream owns namespace '\(namespace)'"
                return route
            }
            route.downstream = owner
        }
        guard let downstream = route.downstream else { return route }
        if toolName.isEmpty {
            route.problem = "tool name '\(tool)' has nothing after '\(namespace)__'"
        } else if !downstream.enabled {
            route.problem = "downstream '\(downstream.name)' is disabled"
        } else if downstream.quarantined {
            route.problem =
                "downstream '\(downstream.name)' is quarantined until its tools are reviewed; "
                + "approve it with: junction server approve \(downstream.name)"
        } else if config.quarantinedTools[downstream.id]?.contains(toolName) == true {
            route.problem =
                "tool '\(toolName)' of '\(downstream.name)' is quarantined: its definition changed since it was "
                + "approved. Review the change and approve it: junction server approve-tools \(downstream.name) \(toolName)"
        } else if let authScopeId = rule?.authScopeId {
            if let authScope = config.authScopesById[authScopeId] {
                if authScope.downstreamId == downstream.id {
                    route.authScope = authScope
                } else {
                    route.problem =
                        "auth scope '\(authScope.name)' belongs to another downstream, not '\(downstream.name)'"
                }
            } else {
                route.problem = "it names unknown auth scope '\(authScopeId)'"
            }
        }
        return route
    }
}
