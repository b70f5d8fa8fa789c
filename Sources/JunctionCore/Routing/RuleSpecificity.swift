/// How specific a rule is, for ordering rules of equal priority (more specific first).
///
/// Compared lexicographically, each component "more is more specific":
/// 1. the tool pattern is literal (exact tool name) — beats any wildcard pattern;
/// 2. longer literal prefix of the tool pattern (`github__create_*` beats `github__*` beats `*`);
/// 3. fewer wildcards in the tool pattern (`gh__a?c` beats `gh__a*?`);
/// 4. the path glob is literal (`src/app`), then 5. its longer literal prefix (`src/**` beats
///    `**`), then 6. fewer path wildcards.
///
/// Path components only break ties between equally specific tool patterns, so a narrower
/// location wins over `**` for the same tool pattern. Remaining ties fall to id ascending.
public struct RuleSpecificity: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var toolIsLiteral: Bool
    public var toolLiteralPrefixLength: Int
    public var toolWildcardCount: Int
    public var pathIsLiteral: Bool
    public var pathLiteralPrefixLength: Int
    public var pathWildcardCount: Int

    public init(toolPattern: Glob, pathGlob: Glob) {
        toolIsLiteral = toolPattern.isLiteral
        toolLiteralPrefixLength = toolPattern.literalPrefixLength
        toolWildcardCount = toolPattern.wildcardCount
        pathIsLiteral = pathGlob.isLiteral
        pathLiteralPrefixLength = pathGlob.literalPrefixLength
        pathWildcardCount = pathGlob.wildcardCount
    }

    /// `lhs < rhs` means `lhs` is less specific.
    public static func < (lhs: RuleSpecificity, rhs: RuleSpecificity) -> Bool {
        if lhs.toolIsLiteral != rhs.toolIsLiteral { return !lhs.toolIsLiteral }
        if lhs.toolLiteralPrefixLength != rhs.toolLiteralPrefixLength {
            return lhs.toolLiteralPrefixLength < rhs.toolLiteralPrefixLength
        }
        if lhs.toolWildcardCount != rhs.toolWildcardCount { return lhs.toolWildcardCount > rhs.toolWildcardCount }
        if lhs.pathIsLiteral != rhs.pathIsLiteral { return !lhs.pathIsLiteral }
        if lhs.pathLiteralPrefixLength != rhs.pathLiteralPrefixLength {
            return lhs.pathLiteralPrefixLength < rhs.pathLiteralPrefixLength
        }
        return lhs.pathWildcardCount > rhs.pathWildcardCount
    }

    public var description: String {
        "(tool literal: \(toolIsLiteral), prefix: \(toolLiteralPrefixLength), wildcards: \(toolWildcardCount); "
            + "path literal: \(pathIsLiteral), prefix: \(pathLiteralPrefixLength), wildcards: \(pathWildcardCount))"
    }
}
