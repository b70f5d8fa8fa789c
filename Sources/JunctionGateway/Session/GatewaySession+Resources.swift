import JunctionCore

/// Resources: URIs pass through unchanged and are routed to the server that listed them.
extension GatewaySession {
    func listResources() async -> RawJSON {
        let lists = await catalogs().map { ($0.0, $0.1.resources) }
        var owners: [String: String] = [:]
        var resources: [RawJSON] = []
        for (downstream, entries) in lists {
            for resource in entries {
                if let uri = resource["uri"]?.stringValue, owners[uri] == nil { owners[uri] = downstream.id }
                resources.append(resource)
            }
        }
        state.withLock { $0.resourceOwners.merge(owners) { old, _ in old } }
        return RawJSON(object: [("resources", RawJSON(array: resources))])
    }

    func listResourceTemplates() async -> RawJSON {
        let lists = await catalogs().map { ($0.0, $0.1.resourceTemplates) }
        return RawJSON(object: [("resourceTemplates", RawJSON(array: lists.flatMap(\.1)))])
    }

    /// The server owning a URI: one that listed it, else one whose template's fixed prefix it has.
    func owner(ofResource uri: String) async -> Downstream? {
        let config = engine.configuration
        if let id = state.withLock({ $0.resourceOwners[uri] }), let downstream = config.downstream(id: id) {
            return downstream
        }
        _ = await listResources()
        if let id = state.withLock({ $0.resourceOwners[uri] }), let downstream = config.downstream(id: id) {
            return downstream
        }
        let byTemplate = await eachDownstream { _, instance in
            instance.catalog.resourceTemplates.contains { template in
                guard let pattern = template["uriTemplate"]?.stringValue else { return false }
                let prefix = pattern.prefix { $0 != "{" }
                return !prefix.isEmpty && uri.hasPrefix(prefix)
            } ? true : nil
        }
        return byTemplate.first?.0
    }

    func forwardResource(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        guard let params = request.params, let uri = params["uri"]?.stringValue else {
            throw SessionError(
                code: JSONRPCErrorCode.invalidParams, message: "\(request.method ?? "") needs params.uri")
        }
        let method = request.method ?? ""
        let resume = try resumeState(params, method: method, subject: uri)
        let instance = try await resourceInstance(for: uri)
        var response: JSONRPCMessage
        switch method {
        case "resources/subscribe":
            try await instance.subscribe(uri: uri, context: downstreamContext())
            response = .response(id: request.id ?? .null, result: .emptyObject)
        case "resources/unsubscribe":
            try await instance.unsubscribe(uri: uri)
            response = .response(id: request.id ?? .null, result: .emptyObject)
        default:
            response = try await forward(method, subject: uri, params: params, to: instance, resume: resume)
        }
        response.id = request.id
        return response
    }

    /// The running server that owns a resource URI.
    func resourceInstance(for uri: String) async throws -> DownstreamInstance {
        guard let downstream = await owner(ofResource: uri) else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "Unknown resource: \(uri)")
        }
        return try await engine.pool.instance(
            for: downstream, authScopeId: discoveryScope(for: downstream), sessionId: id)
    }

    func complete(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        guard let params = request.params, let ref = params["ref"] else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "completion/complete needs params.ref")
        }
        var forwarded = params
        let downstream: Downstream?
        if let name = ref["name"]?.stringValue, ref["type"]?.stringValue == "ref/prompt" {
            if state.withLock({ $0.prompts[name] == nil }) { _ = await listPrompts() }
            let entry = state.withLock { $0.prompts[name] }
            downstream = entry.flatMap { engine.downstream(id: $0.downstreamId) }
            if let entry, let newRef = ref.setting("name", to: RawJSON(string: entry.originalName)) {
                forwarded = params.setting("ref", to: newRef) ?? params
            }
        } else if let uri = ref["uri"]?.stringValue {
            downstream = await owner(ofResource: uri)
        } else {
            downstream = nil
        }
        guard let downstream else {
            return .response(
                id: request.id ?? .null,
                result: RawJSON(object: [
                    ("completion", RawJSON(object: [("values", .emptyArray), ("hasMore", .false)]))
                ]))
        }
        let instance = try await engine.pool.instance(
            for: downstream, authScopeId: discoveryScope(for: downstream), sessionId: id)
        let subject = ref["name"]?.stringValue ?? ref["uri"]?.stringValue ?? ""
        var response = try await forward("completion/complete", subject: subject, params: forwarded, to: instance)
        response.id = request.id
        return response
    }
}
