import JunctionCore

/// Prompts: listed namespaced like tools, fetched from the server that listed them.
extension GatewaySession {
    func listPrompts() async -> RawJSON {
        await awaitRoots()
        let lists = await catalogs().map { downstream, catalog in
            let prompts = catalog.prompts.compactMap { prompt -> (String, RawJSON, VisibleTool)? in
                guard let original = prompt["name"]?.stringValue else { return nil }
                let visible = ToolNaming.visibleName(namespace: downstream.namespace, name: original)
                return (visible, prompt, VisibleTool(downstreamId: downstream.id, originalName: original))
            }
            return (downstream, prompts.sorted { $0.0 < $1.0 })
        }
        var prompts: [RawJSON] = []
        var map: [String: VisibleTool] = [:]
        for (_, entries) in lists {
            for (name, prompt, entry) in entries where decide(name).decision != .deny {
                map[name] = entry
                prompts.append(prompt.setting("name", to: RawJSON(string: name)) ?? prompt)
            }
        }
        state.withLock { $0.prompts = map }
        return RawJSON(object: [("prompts", RawJSON(array: prompts))])
    }

    func getPrompt(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        guard let params = request.params, let name = params["name"]?.stringValue else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "prompts/get needs params.name")
        }
        if state.withLock({ $0.prompts[name] == nil }) { _ = await listPrompts() }
        guard let entry = state.withLock({ $0.prompts[name] }),
            let downstream = engine.downstream(id: entry.downstreamId)
        else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "Unknown prompt: \(name)")
        }
        let resume = try resumeState(params, method: "prompts/get", subject: name)
        let instance = try await engine.pool.instance(
            for: downstream, authScopeId: discoveryScope(for: downstream), sessionId: id)
        var response = try await forward(
            "prompts/get", subject: name,
            params: params.setting("name", to: RawJSON(string: entry.originalName)) ?? params,
            to: instance, resume: resume)
        response.id = request.id
        return response
    }
}
