import JunctionCore
import Synchronization

/// Each downstream's tools as clients see them (renamed `namespace__tool`, sorted by that name),
/// prepared once per catalog and shared by every session: a `tools/list` then only routes each
/// name, instead of scanning, renaming and re-encoding thousands of tools every time.
final class VisibleToolCache: Sendable {
    typealias Tool = (name: String, tool: RawJSON, entry: GatewaySession.VisibleTool)

    private struct Prepared {
        var namespace: String
        /// The catalog's tools the entry was made from (an equal array means still valid; the
        /// same array, as long as the catalog is unchanged, compares without reading it).
        var source: [RawJSON]
        var tools: [Tool]
        /// Unique to this preparation: equal generations mean the same tools (for the search index).
        var generation: Int
    }

    private let prepared = Mutex<[String: Prepared]>([:])
    private let generations = Mutex(0)

    /// The tools of `catalog`, as `downstream`'s clients see them.
    func tools(of downstream: Downstream, catalog: Catalog) -> [Tool] {
        versionedTools(of: downstream, catalog: catalog).tools
    }

    /// The tools of `catalog` with the generation of their preparation, which changes whenever
    /// they do.
    func versionedTools(of downstream: Downstream, catalog: Catalog) -> (tools: [Tool], generation: Int) {
        let cached = prepared.withLock { $0[downstream.id] }
        if let cached, cached.namespace == downstream.namespace, cached.source == catalog.tools {
            return (cached.tools, cached.generation)
        }
        let tools = Self.prepare(catalog.tools, downstream: downstream)
        let generation = generations.withLock { count -> Int in
            count += 1
            return count
        }
        prepared.withLock {
            $0[downstream.id] = Prepared(
                namespace: downstream.namespace, source: catalog.tools, tools: tools, generation: generation)
        }
        return (tools, generation)
    }

    /// Forgets every downstream (configuration changed: some may be gone).
    func removeAll() {
        prepared.withLock { $0.removeAll() }
    }

    private static func prepare(_ catalogTools: [RawJSON], downstream: Downstream) -> [Tool] {
        let tools = catalogTools.compactMap { tool -> Tool? in
            guard let original = tool["name"]?.stringValue else { return nil }
            let visible = ToolNaming.visibleName(namespace: downstream.namespace, name: original)
            let readOnly = tool["annotations"]?["readOnlyHint"]?.boolValue == true
            return (
                visible, tool.setting("name", to: RawJSON(string: visible)) ?? tool,
                GatewaySession.VisibleTool(downstreamId: downstream.id, originalName: original, readOnly: readOnly)
            )
        }
        // Deterministic order, whether the catalog is live or stored.
        return tools.sorted { $0.name < $1.name }
    }
}
