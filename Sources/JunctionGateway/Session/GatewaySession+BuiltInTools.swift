import JunctionCore

/// Token-saving mode: `junction__search_tools` finds tools with BM25 among those routing allows
/// this session, `junction__call_tool` calls one through the ordinary `tools/call` path (routed,
/// approved, cached and audited as a direct call; the call is audited under the tool it names).
extension GatewaySession {
    /// What this session's `tools/list` shows.
    enum ToolListing {
        /// Every tool routing allows.
        case tools
        /// Those, and the built-in tools (a Codex client under `codex_dynamic_tool_compat`).
        case toolsAndBuiltIns
        /// The built-in tools alone (`slim_tools`).
        case builtInsOnly
    }

    func toolListing() -> ToolListing {
        // A session serving one server under its tools' own names keeps them.
        guard onlyDownstream == nil else { return .tools }
        let presentation = engine.presentation
        if slimTools(default: presentation.slimTools) { return .builtInsOnly }
        // Codex lists tools once and ignores list_changed: tools appearing later stay reachable.
        if presentation.codexCompat, let client = state.withLock({ $0.clientName }),
            client.lowercased().contains("codex")
        {
            return .toolsAndBuiltIns
        }
        return .tools
    }

    func builtInToolsListed() -> Bool {
        toolListing() != .tools
    }

    /// The innermost workspace of the session's chain that says whether to list slim, else the
    /// `slim_tools` setting.
    private func slimTools(default global: Bool) -> Bool {
        let config = engine.configuration
        for scope in decide(BuiltInTools.searchTools).chain where scope.kind == .workspace {
            if let slim = config.workspace(named: scope.name)?.slimTools { return slim }
        }
        return global
    }

    /// The pages a `tools/list` answers with now.
    func listedPagesNow() async -> ToolPages {
        await awaitRoots()
        let overrides = engine.presentation.descriptionOverrides
        let listing = toolListing()
        state.withLock { $0.listing = listing }
        switch listing {
        case .builtInsOnly:
            return ToolPages(BuiltInTools.listed(overrides: overrides))
        case .toolsAndBuiltIns:
            return await visibleTools().pages(builtIns: { BuiltInTools.listed(overrides: overrides) })
        case .tools:
            return await visibleTools().pages(builtIns: nil)
        }
    }

    func callBuiltInTool(_ name: String, request: JSONRPCMessage) async throws -> JSONRPCMessage {
        let id = request.id ?? .null
        let arguments = request.params?["arguments"].flatMap { $0.isNull ? nil : $0 } ?? .emptyObject
        if name == BuiltInTools.searchTools {
            guard let query = arguments["query"]?.stringValue, !query.isEmpty else {
                return Self.toolError(
                    id: id, "\(name) needs a query: what you want to do, in words (e.g. \"create a github issue\").")
            }
            var limit = BuiltInTools.defaultLimit
            if let given = arguments["limit"] {
                guard let number = given.intValue, (1...BuiltInTools.maxLimit).contains(number) else {
                    return Self.toolError(
                        id: id, "\(name): limit must be an integer from 1 to \(BuiltInTools.maxLimit).")
                }
                limit = number
            }
            let found = await searchTools(query, limit: limit)
            return .response(id: id, result: Self.searchResult(found, query: query))
        }
        guard let target = arguments["name"]?.stringValue, !target.isEmpty else {
            return Self.toolError(id: id, "\(name) needs the name of a tool, as junction__search_tools gave it.")
        }
        guard !BuiltInTools.names.contains(target) else {
            return Self.toolError(id: id, "\(name) calls the tools junction__search_tools finds, not \(target).")
        }
        let inner = arguments["arguments"].flatMap { $0.isNull ? nil : $0 } ?? .emptyObject
        guard inner.isObject else {
            return Self.toolError(id: id, "\(name): arguments must be an object, as \(target)'s input schema says.")
        }
        var params = RawJSON(object: [("name", RawJSON(string: target)), ("arguments", inner)])
        // What the client attached to the call goes with it: its progress token, the input a
        // server asked for (modern multi round-trip).
        for key in ["_meta", "requestState", "inputResponses"] {
            if let value = request.params?[key] { params = params.setting(key, to: value) ?? params }
        }
        var forwarded = request
        forwarded.params = params
        return try await callTool(forwarded)
    }

    /// The best `limit` tools for `query` among those routing allows this session, each as its
    /// name, description and input schema. The index is built once per catalog change.
    func searchTools(_ query: String, limit: Int) async -> [RawJSON] {
        await awaitRoots()
        let lists = await catalogs().map { engine.visibleTools.versionedTools(of: $0, catalog: $1) }
        let searchable = engine.toolSearch.searchable(slot: "sessions", key: lists.map(\.generation)) {
            SearchableTools(
                lists.flatMap { list in
                    list.tools.map { ($0.name, $0.entry.originalName, $0.tool, $0.entry.downstreamId) }
                })
        }
        let hits = searchable.index.search(query, limit: limit) { index in
            decide(searchable.index.documents[index].name).decision != .deny
        }
        let overrides = engine.presentation.descriptionOverrides
        return hits.map { hit in
            let tool = searchable.tools[hit.index]
            var members: [(key: String, value: RawJSON)] = [("name", RawJSON(string: hit.name))]
            if let description = overrides[hit.name] ?? tool["description"]?.stringValue {
                members.append(("description", RawJSON(string: description)))
            }
            members.append(
                ("inputSchema", tool["inputSchema"] ?? RawJSON(object: [("type", RawJSON(string: "object"))])))
            return RawJSON(object: members)
        }
    }

    /// The found tools as a result: JSON text for the model, the same as structured content.
    static func searchResult(_ tools: [RawJSON], query: String) -> RawJSON {
        let found = RawJSON(object: [("tools", RawJSON(array: tools))])
        let text =
            tools.isEmpty
            ? "No tool matches \"\(query)\". Try other words, or fewer."
            : found.description
        return RawJSON(object: [
            (
                "content",
                RawJSON(array: [RawJSON(object: [("type", RawJSON(string: "text")), ("text", RawJSON(string: text))])])
            ),
            ("structuredContent", found),
        ])
    }
}
