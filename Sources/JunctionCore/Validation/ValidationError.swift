/// A configuration value that cannot be accepted, with the field it concerns so an API or UI can
/// show the message next to it.
public struct ValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field as the REST API names it (`root_path`, `tool_pattern`, …).
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}
