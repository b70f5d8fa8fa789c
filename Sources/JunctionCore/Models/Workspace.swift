import Foundation

/// A project directory with its own routing: rules scoped to it apply to clients working at or
/// below `rootPath`.
public struct Workspace: Codable, Sendable, Hashable, Identifiable {
    public var id: String
    public var name: String
    /// Absolute, normalised path (no `.`/`..`, no trailing slash except for `/`).
    public var rootPath: String
    /// Applied when no rule in the workspace chain matches a tool.
    public var defaultPolicy: Policy
    public var tags: [String: String]
    /// Token-saving mode for clients in this workspace (`tools/list` shows only the built-in
    /// search and call tools); nil follows the enclosing workspace, then the `slim_tools` setting.
    public var slimTools: Bool?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String = ULID.make(),
        name: String,
        rootPath: String,
        defaultPolicy: Policy = .allow,
        tags: [String: String] = [:],
        slimTools: Bool? = nil,
        createdAt: Date = Date(),
        updatedAt: Date = Date()
    ) {
        self.id = id
        self.name = name
        self.rootPath = rootPath
        self.defaultPolicy = defaultPolicy
        self.tags = tags
        self.slimTools = slimTools
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, tags
        case rootPath = "root_path"
        case defaultPolicy = "default_policy"
        case slimTools = "slim_tools"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}
