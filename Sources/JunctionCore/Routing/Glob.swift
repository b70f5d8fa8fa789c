/// A glob pattern compiled once and matched many times (tool names on every call, subpaths of
/// client roots).
///
/// Syntax:
/// - `*` any run of characters, `?` exactly one character;
/// - `[abc]`, `[a-z]`, `[!x]` / `[^x]` character classes (`-` first or last is literal, `\`
///   escapes inside a class; `[]` is an error, so `]` must be escaped to be a member);
/// - `\` makes the next character literal.
///
/// ``Flavor/name`` treats `/` like any other character. ``Flavor/path`` matches relative
/// subpaths segment by segment: `*`, `?` and classes never match `/`; a segment that is exactly
/// `**` matches zero or more whole segments (`**` matches every subpath including the root `""`,
/// `src/**` matches `src` and everything below it, `**/test` matches `test` at any depth);
/// `**` inside a longer segment (`a**`) behaves like `*`. Leading, trailing and repeated `/` in a
/// path pattern are ignored, so `/src/**/` means `src/**` and `/` matches only the root `""`.
/// The root `""` has no segments, so `*` does not match it (use `**` for "anywhere").
///
/// Matching compares whole Unicode characters (`?` matches `é` whether precomposed or not);
/// ASCII patterns matched against ASCII text take a byte-level fast path with the same result.
/// The matcher is iterative with single-point backtracking, so patterns like `a*a*a*b` stay
/// near-linear instead of exponential.
public struct Glob: Sendable, Hashable {
    /// How `/` and `**` are treated.
    public enum Flavor: Sendable, Hashable {
        /// Tool names: `/` is an ordinary character, `**` is `*`.
        case name
        /// Relative paths: wildcards stay inside one segment, a whole-segment `**` spans segments.
        case path
    }

    /// The pattern as written.
    public let pattern: String
    public let flavor: Flavor
    /// Number of literal characters before the first wildcard (for specificity ordering).
    public let literalPrefixLength: Int
    /// true when the pattern has no wildcard at all (exact match).
    public let isLiteral: Bool
    /// Number of wildcards (`*`, `**`, `?`, classes); fewer is more specific.
    public let wildcardCount: Int
    /// true when the pattern matches every input (`*` names, `**` paths).
    public let matchesEverything: Bool

    private let program: GlobProgram

    /// Compiles `pattern`; throws a ``GlobError`` naming the offending character position.
    public init(_ pattern: String, flavor: Flavor = .name) throws(GlobError) {
        self.pattern = pattern
        self.flavor = flavor
        let raw = try GlobParser.parse(pattern)
        var prefix = 0
        for token in raw {
            guard case .literal = token.kind else { break }
            prefix += 1
        }
        literalPrefixLength = prefix
        var wildcards = 0
        var previousWasStar = false
        for token in raw {
            switch token.kind {
            case .literal: previousWasStar = false
            case .star:
                // `**` (or `***`) is one wildcard, not several.
                if !previousWasStar { wildcards += 1 }
                previousWasStar = true
            case .any, .set:
                wildcards += 1
                previousWasStar = false
            }
        }
        wildcardCount = wildcards
        isLiteral = wildcards == 0
        program = GlobProgram(raw: raw, flavor: flavor)
        matchesEverything = program.matchesEverything
    }

    /// Whether `text` matches the whole pattern.
    public func matches(_ text: String) -> Bool {
        program.matches(text)
    }

    public static func == (lhs: Glob, rhs: Glob) -> Bool {
        lhs.pattern == rhs.pattern && lhs.flavor == rhs.flavor
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(pattern)
        hasher.combine(flavor)
    }
}
