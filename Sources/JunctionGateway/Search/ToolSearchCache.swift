import JunctionCore
import JunctionStore
import Synchronization

/// Tools made searchable: the BM25 index and, for each of its documents, the tool as `tools/list`
/// gives it (under its client-visible name) and the server offering it.
public struct SearchableTools: Sendable {
    public let index: ToolSearchIndex
    public let tools: [RawJSON]
    public let downstreamIds: [String]

    /// `entries`: (client-visible name, the server's name for it, the tool as listed, server id).
    public init(_ entries: [(name: String, toolName: String, tool: RawJSON, downstreamId: String)]) {
        index = ToolSearchIndex(
            entries.map { ToolSearchIndex.Document(name: $0.name, toolName: $0.toolName, tool: $0.tool) })
        tools = entries.map { $0.tool.setting("name", to: RawJSON(string: $0.name)) ?? $0.tool }
        downstreamIds = entries.map(\.downstreamId)
    }

    /// The stored tools (`tool_catalog`) of the servers given, by id, under their client-visible
    /// names; tools of other servers and unreadable entries are left out.
    public init(stored entries: [CatalogEntry], servers: [String: Downstream]) {
        self.init(
            entries.compactMap { entry in
                guard entry.kind == .tool, let server = servers[entry.downstreamId],
                    var tool = try? RawJSON(validating: Array(entry.raw.utf8))
                else { return nil }
                // The stored columns stand in for what the raw object lacks.
                let columns = [
                    ("title", entry.title.map { RawJSON(string: $0) }),
                    ("description", entry.description.map { RawJSON(string: $0) }),
                    ("inputSchema", entry.inputSchema.flatMap { try? RawJSON(validating: Array($0.utf8)) }),
                    ("annotations", entry.annotations.flatMap { try? RawJSON(validating: Array($0.utf8)) }),
                ]
                for case (let key, let value?) in columns where tool[key] == nil {
                    tool = tool.setting(key, to: value) ?? tool
                }
                let visible = ToolNaming.visibleName(namespace: server.namespace, name: entry.name)
                return (visible, entry.name, tool, entry.downstreamId)
            })
    }
}

/// The search indexes in use, each rebuilt only when the catalog it was built from changed (its
/// key differs), never per query: tokenising a large catalog costs far more than a search.
public final class ToolSearchCache: Sendable {
    private let slots = Mutex<[String: (key: [Int], value: SearchableTools)]>([:])

    public init() {}

    /// The index kept under `slot` when it was built for `key`, else a new one from `build`.
    public func searchable(slot: String, key: [Int], build: () -> SearchableTools) -> SearchableTools {
        if let cached = slots.withLock({ $0[slot] }), cached.key == key { return cached.value }
        // Built outside the lock: two racing builders make the same index, the last one is kept.
        let value = build()
        slots.withLock { $0[slot] = (key, value) }
        return value
    }
}
