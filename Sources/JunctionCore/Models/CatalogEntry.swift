import Foundation

/// One tool, resource, resource template or prompt as a downstream last described it.
///
/// `raw` is the whole JSON object the downstream sent, kept for lossless relay to clients; the
/// other fields are what Junction reads from it (to search, show and route). The schema and
/// annotation fields hold raw JSON text too.
public struct CatalogEntry: Sendable, Hashable, Encodable, Identifiable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case tool
        case resource
        case resourceTemplate = "resource_template"
        case prompt
    }

    public var id: String
    public var downstreamId: String
    public var kind: Kind
    /// The downstream's own name for the entry (a resource's URI, a template's URI template).
    public var name: String
    public var title: String?
    public var description: String?
    /// JSON text.
    public var inputSchema: String?
    /// JSON text.
    public var outputSchema: String?
    /// JSON text.
    public var annotations: String?
    /// The entry's JSON object exactly as the downstream sent it.
    public var raw: String
    /// Lowercase hex SHA-256 of `raw`'s UTF-8 bytes: a changed hash is a changed entry.
    public var sha256: String
    public var firstSeen: Date
    public var lastSeen: Date

    public init(
        id: String = ULID.make(),
        downstreamId: String,
        kind: Kind = .tool,
        name: String,
        title: String? = nil,
        description: String? = nil,
        inputSchema: String? = nil,
        outputSchema: String? = nil,
        annotations: String? = nil,
        raw: String,
        sha256: String,
        firstSeen: Date = Date(),
        lastSeen: Date = Date()
    ) {
        self.id = id
        self.downstreamId = downstreamId
        self.kind = kind
        self.name = name
        self.title = title
        self.description = description
        self.inputSchema = inputSchema
        self.outputSchema = outputSchema
        self.annotations = annotations
        self.raw = raw
        self.sha256 = sha256
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, kind, name, title, description, annotations, raw, sha256
        case downstreamId = "server_id"
        case inputSchema = "input_schema"
        case outputSchema = "output_schema"
        case firstSeen = "first_seen"
        case lastSeen = "last_seen"
    }

    /// Every key is written, absent values as `null`; the JSON-text fields are embedded as JSON,
    /// not as strings (text that does not parse is written as `null`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(downstreamId, forKey: .downstreamId)
        try container.encode(kind, forKey: .kind)
        try container.encode(name, forKey: .name)
        try container.encode(title, forKey: .title)
        try container.encode(description, forKey: .description)
        try container.encode(JSONValue.parse(inputSchema), forKey: .inputSchema)
        try container.encode(JSONValue.parse(outputSchema), forKey: .outputSchema)
        try container.encode(JSONValue.parse(annotations), forKey: .annotations)
        try container.encode(JSONValue.parse(raw), forKey: .raw)
        try container.encode(sha256, forKey: .sha256)
        try container.encode(firstSeen, forKey: .firstSeen)
        try container.encode(lastSeen, forKey: .lastSeen)
    }
}
