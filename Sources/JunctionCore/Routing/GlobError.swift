/// Why a glob pattern could not be compiled, and where.
public struct GlobError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    /// 0-based character offset of the problem in `pattern`.
    public let position: Int
    /// What is wrong, e.g. "unterminated character class".
    public let reason: String

    public init(pattern: String, position: Int, reason: String) {
        self.pattern = pattern
        self.position = position
        self.reason = reason
    }

    public var description: String {
        "invalid glob '\(pattern)': \(reason) at position \(position)"
    }
}
