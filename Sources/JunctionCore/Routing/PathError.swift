/// Why a path could not be normalised.
public struct PathError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path as given.
    public let path: String
    /// What is wrong with it, e.g. "must be absolute (start with '/')".
    public let reason: String

    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        "invalid path '\(path)': \(reason)"
    }
}
