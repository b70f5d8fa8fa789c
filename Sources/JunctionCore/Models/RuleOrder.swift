/// The order in which the rules of one scope are considered: priority (higher first), then
/// specificity of the tool pattern (exact, then longer literal prefix, then fewer wildcards), then
/// id (older first, as ids are ULIDs).
public enum RuleOrder {
    /// Sort key of a rule; compute once per rule, compare many times.
    public struct Key: Comparable, Sendable {
        public let priority: Int
        public let isLiteral: Bool
        public let literalPrefixLength: Int
        public let wildcardCount: Int
        public let id: String

        public init(_ rule: RouteRule) {
            let glob = try? Glob(rule.toolPattern, flavor: .name)
            self.init(
                priority: rule.priority,
                isLiteral: glob?.isLiteral ?? false,
                literalPrefixLength: glob?.literalPrefixLength ?? 0,
                wildcardCount: glob?.wildcardCount ?? Int.max,
                id: rule.id)
        }

        public init(priority: Int, isLiteral: Bool, literalPrefixLength: Int, wildcardCount: Int, id: String) {
            self.priority = priority
            self.isLiteral = isLiteral
            self.literalPrefixLength = literalPrefixLength
            self.wildcardCount = wildcardCount
            self.id = id
        }

        /// `lhs < rhs` means lhs is considered first.
        public static func < (lhs: Key, rhs: Key) -> Bool {
            if lhs.priority != rhs.priority { return lhs.priority > rhs.priority }
            if lhs.isLiteral != rhs.isLiteral { return lhs.isLiteral }
            if lhs.literalPrefixLength != rhs.literalPrefixLength {
                return lhs.literalPrefixLength > rhs.literalPrefixLength
            }
            if lhs.wildcardCount != rhs.wildcardCount { return lhs.wildcardCount < rhs.wildcardCount }
            return lhs.id < rhs.id
        }
    }

    /// true when `lhs` is considered before `rhs` in the same scope.
    public static func precedes(_ lhs: RouteRule, _ rhs: RouteRule) -> Bool {
        Key(lhs) < Key(rhs)
    }
}
