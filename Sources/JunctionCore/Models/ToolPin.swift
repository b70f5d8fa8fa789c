import Foundation

/// A tool's approved definition, and the changed one awaiting review when the server now
/// describes it differently (tool pinning: a defence against tool poisoning and rug pulls).
///
/// A definition is the canonical JSON of the tool's `name`, `description`, `inputSchema` and
/// `outputSchema` (the members present); its SHA-256 is the pin. While `changedSha256` is set the
/// tool is quarantined: hidden from `tools/list`, its calls refused, until it is approved again.
public struct ToolPin: Sendable, Hashable, Encodable {
    public var downstreamId: String
    /// The server's own name for the tool.
    public var name: String
    /// Lowercase hex SHA-256 of `definition` as approved.
    public var sha256: String
    /// Canonical JSON text of the approved definition.
    public var definition: String
    public var pinnedAt: Date
    /// Set while the server describes the tool differently from what was approved.
    public var changedSha256: String?
    /// Canonical JSON text of the changed definition.
    public var changedDefinition: String?
    public var changedAt: Date?

    public init(
        downstreamId: String, name: String, sha256: String, definition: String, pinnedAt: Date = Date(),
        changedSha256: String? = nil, changedDefinition: String? = nil, changedAt: Date? = nil
    ) {
        self.downstreamId = downstreamId
        self.name = name
        self.sha256 = sha256
        self.definition = definition
        self.pinnedAt = pinnedAt
        self.changedSha256 = changedSha256
        self.changedDefinition = changedDefinition
        self.changedAt = changedAt
    }

    /// True while the tool is quarantined for a changed definition.
    public var isChanged: Bool { changedSha256 != nil }

    public enum CodingKeys: String, CodingKey {
        case name, sha256, definition, changed
        case downstreamId = "server_id"
        case pinnedAt = "pinned_at"
        case changedSha256 = "changed_sha256"
        case changedDefinition = "changed_definition"
        case changedAt = "changed_at"
    }

    /// The definitions are embedded as JSON, not as strings.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(downstreamId, forKey: .downstreamId)
        try container.encode(name, forKey: .name)
        try container.encode(isChanged, forKey: .changed)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(JSONValue.parse(definition), forKey: .definition)
        try container.encode(pinnedAt, forKey: .pinnedAt)
        try container.encode(changedSha256, forKey: .changedSha256)
        try container.encode(JSONValue.parse(changedDefinition), forKey: .changedDefinition)
        try container.encode(changedAt, forKey: .changedAt)
    }

    /// The canonical definition of a tool from its members as JSON text (nil when absent); nil
    /// when a member is not valid JSON.
    public static func definition(
        name: String, description: String?, inputSchema: String?, outputSchema: String?
    ) -> String? {
        var members: [(key: String, value: RawJSON)] = [("name", RawJSON(string: name))]
        if let description { members.append(("description", RawJSON(string: description))) }
        for (key, text) in [("inputSchema", inputSchema), ("outputSchema", outputSchema)] {
            guard let text else { continue }
            guard let value = try? RawJSON(validating: Array(text.utf8)) else { return nil }
            members.append((key, value))
        }
        return try? CanonicalJSON.canonicalize(RawJSON(object: members).bytes)
    }
}
