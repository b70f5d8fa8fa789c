/// A rule with its globs compiled and its client-facing description prebuilt, so resolution
/// neither parses patterns nor formats strings for rules it merely skips.
final class CompiledRule: Sendable {
    let rule: RouteRule
    let toolGlob: Glob
    let pathGlob: Glob
    let specificity: RuleSpecificity
    /// Workspace name or "global".
    let scopeName: String
    let ref: Decision.RuleRef
    /// "rule 'name' (workspace 'app', priority 10)".
    let label: String

    init(rule: RouteRule, scopeName: String, scopeLabel: String) throws(RoutingConfigError) {
        do {
            toolGlob = try Glob(rule.toolPattern, flavor: .name)
        } catch {
            throw .invalidToolPattern(ruleId: rule.id, error)
        }
        do {
            pathGlob = try Glob(rule.pathGlob, flavor: .path)
        } catch {
            throw .invalidPathGlob(ruleId: rule.id, error)
        }
        self.rule = rule
        self.scopeName = scopeName
        specificity = RuleSpecificity(toolPattern: toolGlob, pathGlob: pathGlob)
        ref = Decision.RuleRef(
            id: rule.id, name: rule.name, scope: scopeName, toolPattern: rule.toolPattern, pathGlob: rule.pathGlob,
            policy: rule.policy, priority: rule.priority, approvalTimeoutSec: rule.approvalTimeoutSec,
            cacheTTLSec: rule.cacheTTLSec)
        label = "rule '\(rule.name ?? rule.id)' (\(scopeLabel), priority \(rule.priority))"
    }

    /// Resolver order: priority DESC, specificity DESC, id ASC (byte order, so ULIDs sort by age).
    static func precedes(_ lhs: CompiledRule, _ rhs: CompiledRule) -> Bool {
        if lhs.rule.priority != rhs.rule.priority { return lhs.rule.priority > rhs.rule.priority }
        if lhs.specificity != rhs.specificity { return lhs.specificity > rhs.specificity }
        return lhs.rule.id.utf8.lexicographicallyPrecedes(rhs.rule.id.utf8)
    }

    @inline(__always)
    func matches(tool: String, subpath: String) -> Bool {
        rule.enabled && toolGlob.matches(tool) && (pathGlob.matchesEverything || pathGlob.matches(subpath))
    }
}
