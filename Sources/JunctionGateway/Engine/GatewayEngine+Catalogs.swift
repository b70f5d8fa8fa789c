import JunctionCore
import JunctionStore

/// What servers offered when discovered: kept in `tool_catalog` and in memory, for listing servers
/// that are not running.
extension GatewayEngine {
    /// Keeps what a downstream offered in `tool_catalog` (for search, the admin API, and answering
    /// `tools/list` at once for servers that are not running). Returns the kinds that changed.
    @discardableResult
    func persist(_ catalog: Catalog, of downstream: Downstream) -> Set<CatalogEntry.Kind> {
        func entries(_ items: [RawJSON], nameKey: String) -> [CatalogRepository.Discovered] {
            items.compactMap { item in
                guard let name = item[nameKey]?.stringValue else { return nil }
                return CatalogRepository.Discovered(
                    name: name, title: item["title"]?.stringValue, description: item["description"]?.stringValue,
                    inputSchema: item["inputSchema"]?.description, outputSchema: item["outputSchema"]?.description,
                    annotations: item["annotations"]?.description, raw: item.description)
            }
        }
        let lists: [(CatalogEntry.Kind, [RawJSON], String)] = [
            (.tool, catalog.tools, "name"), (.resource, catalog.resources, "uri"),
            (.resourceTemplate, catalog.resourceTemplates, "uriTemplate"), (.prompt, catalog.prompts, "name"),
        ]
        var changed: Set<CatalogEntry.Kind> = []
        for (kind, items, nameKey) in lists {
            do {
                let discovered = entries(items, nameKey: nameKey)
                let change = try catalogRecords.replace(downstreamId: downstream.id, kind: kind, entries: discovered)
                if !change.isEmpty { changed.insert(kind) }
                if kind == .tool { checkPins(of: downstream, tools: discovered) }
            } catch {
                Self.logger.error("catalog of '\(downstream.name)' (\(kind.rawValue)s) not stored: \(error)")
            }
        }
        storedCatalogs.withLock { $0[downstream.id] = catalog }
        return changed
    }

    /// What a downstream offered when last discovered (by any process), or nil if never.
    func storedCatalog(of downstreamId: String) -> Catalog? {
        if let cached = storedCatalogs.withLock({ $0[downstreamId] }) { return cached }
        guard let entries = try? catalogRecords.list(downstreamId: downstreamId), !entries.isEmpty else { return nil }
        var catalog = Catalog()
        for entry in entries {
            guard let raw = try? RawJSON(validating: Array(entry.raw.utf8)) else { continue }
            switch entry.kind {
            case .tool: catalog.tools.append(raw)
            case .resource: catalog.resources.append(raw)
            case .resourceTemplate: catalog.resourceTemplates.append(raw)
            case .prompt: catalog.prompts.append(raw)
            }
        }
        storedCatalogs.withLock { $0[downstreamId] = catalog }
        return catalog
    }
}
