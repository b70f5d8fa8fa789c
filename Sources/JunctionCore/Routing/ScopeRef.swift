/// One scope of a workspace chain as clients and the trace see it: a workspace, or the global
/// scope, with the subpath that scope's path globs were matched against.
public struct ScopeRef: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case workspace
        case global
    }

    public var kind: Kind
    /// Workspace id; nil for the global scope.
    public var id: String?
    /// Workspace name, or `"global"`.
    public var name: String
    /// Canonical workspace root; `"/"` for the global scope (its path globs see paths below `/`).
    public var rootPath: String
    /// Client root relative to `rootPath` (`""` at the root itself).
    public var subpath: String

    public init(kind: Kind, id: String?, name: String, rootPath: String, subpath: String) {
        self.kind = kind
        self.id = id
        self.name = name
        self.rootPath = rootPath
        self.subpath = subpath
    }

    /// The global scope with the given subpath.
    public static func global(subpath: String) -> ScopeRef {
        ScopeRef(kind: .global, id: nil, name: "global", rootPath: "/", subpath: subpath)
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, id, name, subpath
        case rootPath = "root_path"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        // `encode` (not `encodeIfPresent`) so a missing id is `null` and the JSON shape is stable.
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(rootPath, forKey: .rootPath)
        try container.encode(subpath, forKey: .subpath)
    }
}
