/// Why a JSON text could not be canonicalised, and where.
public struct CanonicalJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 0-based byte offset of the problem in the UTF-8 input.
    public let offset: Int
    public let reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        "invalid JSON at byte \(offset): \(reason)"
    }
}
