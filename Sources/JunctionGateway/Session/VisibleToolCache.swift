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
    }

    private let prepared = Mutex<[String: Prepared]>([:])

    /// The tools of `catalog`, as `downstream`'s clients see them.
    func tools(of downstream: Downstream, catalog: Catalog) -> [Tool] {
        let cached = prepared.withLock { $0[downstream.id] }
        if let cached, cached.namespace == downstream.namespace, cached.source == catalog.tools {
            return cached.tools
        }
        let tools = Self.prepare(catalog.tools, downstream: downstream)
        prepared.withLock {
            $0[downstream.id] = Prepared(namespace: downstream.namespace, source: catalog.tools, tools: tools)
        }
        return tools
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
