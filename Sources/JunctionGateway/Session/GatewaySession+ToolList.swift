import JunctionCore

/// `tools/list`: the session's visible tools, their pages, and telling the client when they change.
extension GatewaySession {
    /// The tools this session's client sees now, routed from its target. The same listing serves
    /// every session at the target while the configuration, the servers' catalogs and the
    /// description overrides stay as they were: a warm listing routes nothing.
    @discardableResult
    func visibleTools() async -> RoutedToolList {
        await awaitRoots()
        let target = self.target
        // Read before the catalogs: a configuration change meanwhile makes a stamp no later
        // listing has.
        let generation = engine.configurationGeneration
        // Renamed and sorted once per catalog, for every session (VisibleToolCache).
        let lists = await catalogs().map { downstream, catalog in
            (downstream.id, engine.visibleTools.versionedTools(of: downstream, catalog: catalog))
        }
        let overrides = engine.presentation.descriptionOverrides
        let key = RoutedToolListCache.Key(target: target, onlyDownstream: onlyDownstream)
        let stamp = RoutedToolListCache.Stamp(
            generation: generation,
            catalogs: lists.map { .init(downstreamId: $0.0, preparation: $0.1.generation) }, overrides: overrides)
        let routed: RoutedToolList
        if let kept = engine.routedTools.lookup(key, stamp: stamp) {
            routed = kept
        } else {
            routed = route(lists.map(\.1.tools), from: target, overrides: overrides)
            engine.routedTools.store(routed, for: key, stamp: stamp)
        }
        state.withLock { state in
            state.tools = routed.entries
            state.lastToolNames = routed.names
        }
        return routed
    }

    /// Routes every catalogued tool from `target`, keeping those not denied, as this session
    /// shows them.
    private func route(_ lists: [[RoutedToolList.Tool]], from target: ClientTarget, overrides: [String: String])
        -> RoutedToolList
    {
        var visible: [RoutedToolList.Tool] = []
        var entries: [String: VisibleTool] = [:]
        for tools in lists {
            for (name, tool, entry) in tools {
                entries[name] = entry
                guard engine.route(tool: name, for: target).decision != .deny else { continue }
                // One server alone: its tools under their own names (calls map them back).
                var shown =
                    onlyDownstream == nil ? tool : tool.setting("name", to: RawJSON(string: entry.originalName)) ?? tool
                if let description = overrides[name] {
                    shown = shown.setting("description", to: RawJSON(string: description)) ?? shown
                }
                visible.append((name, shown, entry))
            }
        }
        return RoutedToolList(tools: visible, entries: entries)
    }

    func listTools(cursor: RawJSON?) async throws -> RawJSON {
        // Later pages come from the listing the first page made: pages agree with each other, and
        // a listing routes every tool once rather than once per page.
        let pages: ToolPages
        if cursor != nil, let listed = state.withLock({ $0.listedPages }) {
            pages = listed
        } else {
            pages = await listedPagesNow()
            state.withLock { $0.listedPages = pages }
        }
        guard let page = pages.page(cursor: cursor) else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "invalid cursor")
        }
        return page
    }

    /// Tells the client its tools changed when the visible set is not what it last listed.
    func notifyIfVisibleSetChanged() async {
        // Slim mode turned on or off (a setting, a workspace): what the client listed is wrong.
        let listing = toolListing()
        if state.withLock({ state in (state.listing.map { $0 != listing } ?? false) && !state.closed }) {
            state.withLock { $0.listing = nil }
            emit("notifications/tools/list_changed", params: nil, kind: .tools)
            return
        }
        let (before, interested) = state.withLock { state in
            (state.lastToolNames, !state.closed && (state.lastToolNames != nil || !state.subscriptions.isEmpty))
        }
        guard interested else { return }
        let names = await visibleTools().names
        if names != before { emit("notifications/tools/list_changed", params: nil, kind: .tools) }
    }

    func catalogChanged(kinds: Set<CatalogEntry.Kind>) async {
        guard state.withLock({ ($0.initialized || !$0.subscriptions.isEmpty) && !$0.closed }) else { return }
        if kinds.contains(.tool) { await notifyIfVisibleSetChanged() }
        if kinds.contains(.resource) || kinds.contains(.resourceTemplate) {
            emit("notifications/resources/list_changed", params: nil, kind: .resources)
        }
        if kinds.contains(.prompt) { emit("notifications/prompts/list_changed", params: nil, kind: .prompts) }
    }
}
