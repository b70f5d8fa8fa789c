extension RouteResolver {
    /// Explains every rule of every scope in the chain, in evaluation order, and finds the
    /// deciding rule by the same rule as the fast path (first enabled match, innermost scope
    /// first). Walks the full sorted lists, not the namespace index, so the trace also shows
    /// rules the index would skip; tests check both paths agree.
    func tracedMatch(tool: String, chain: WorkspaceChain) -> (RuleMatch?, [Decision.TraceEntry]) {
        var match: RuleMatch?
        var entries: [Decision.TraceEntry] = []
        for (linkIndex, link) in chain.links.enumerated() {
            let scope = config.scopes[link.scopeIndex]
            for compiled in scope.rules {
                let (matched, why) = Self.explain(compiled, tool: tool, subpath: link.subpath)
                var entry = Decision.TraceEntry(ruleId: compiled.rule.id, scope: scope.name, matched: matched, why: why)
                if let match {
                    entry.why =
                        matched
                        ? "matches, but shadowed: \(match.rule.label) already decided"
                        : "\(why) (and \(match.rule.label) already decided)"
                } else if matched {
                    match = RuleMatch(linkIndex: linkIndex, rule: compiled)
                    entry.why = "matches and decides: \(compiled.rule.policy.rawValue)"
                }
                entries.append(entry)
            }
        }
        return (match, entries)
    }

    private static func explain(_ compiled: CompiledRule, tool: String, subpath: String) -> (Bool, String) {
        let rule = compiled.rule
        guard rule.enabled else { return (false, "disabled") }
        guard compiled.toolGlob.matches(tool) else {
            return (false, "tool pattern '\(rule.toolPattern)' does not match '\(tool)'")
        }
        guard compiled.pathGlob.matchesEverything || compiled.pathGlob.matches(subpath) else {
            let shown = subpath.isEmpty ? "'' (the scope root)" : "'\(subpath)'"
            return (false, "path glob '\(rule.pathGlob)' does not match subpath \(shown)")
        }
        return (true, "matches")
    }
}
