/// The order in which the rules of one scope are considered: priority (higher first), then
/// specificity (``RuleSpecificity``: tool pattern exact, longer literal prefix, fewer wildcards,
/// then the same for the path glob), then id (older first, as ids are ULIDs). Listings use this
/// so they show rules in exactly the order the resolver applies them.
public enum RuleOrder {
    /// Sort key of a rule; compute once per rule, compare many times.
    public struct Key: Comparable, Sendable {
        public let priority: Int
        /// nil for a rule whose globs do not compile (never stored): it sorts last in its priority.
        public let specificity: RuleSpecificity?
        public let id: String

        public init(_ rule: RouteRule) {
            priority = rule.priority
            id = rule.id
            if let tool = try? Glob(rule.toolPattern, flavor: .name),
                let path = try? Glob(rule.pathGlob, flavor: .path)
            {
                specificity = RuleSpecificity(toolPattern: tool, pathGlob: path)
            } else {
                specificity = nil
            }
        }

        /// `lhs < rhs` means lhs is considered first.
        public static func < (lhs: Key, rhs: Key) -> Bool {
            if lhs.priority != rhs.priority { return lhs.priority > rhs.priority }
            switch (lhs.specificity, rhs.specificity) {
            case (let l?, let r?) where l != r: return l > r
            case (.some, nil): return true
            case (nil, .some): return false
            default: return lhs.id.utf8.lexicographicallyPrecedes(rhs.id.utf8)
            }
        }
    }

    /// true when `lhs` is considered before `rhs` in the same scope.
    public static func precedes(_ lhs: RouteRule, _ rhs: RouteRule) -> Bool {
        Key(lhs) < Key(rhs)
    }
}
