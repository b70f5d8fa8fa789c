import JunctionCore
import JunctionStore

/// What a `subscriptions/listen` request opted into.
struct SubscriptionFilter: Sendable {
    enum Kind: Sendable { case tools, prompts, resources }

    var tools = false
    var prompts = false
    var resources = false
    var resourceURIs: Set<String> = []
    /// The acknowledgement went out: nothing is sent on the subscription before it.
    var acknowledged = false

    func wants(_ kind: Kind) -> Bool {
        switch kind {
        case .tools: tools
        case .prompts: prompts
        case .resources: resources
        }
    }
}

extension SessionError {
    static func removedInModernEra(_ method: String) -> SessionError {
        let instead =
            method == "logging/setLevel"
            ? "set _meta[\"\(MCPProtocol.Meta.logLevel)\"] on each request" : "use subscriptions/listen"
        return SessionError(
            code: JSONRPCErrorCode.methodNotFound,
            message: "\(method) is not part of MCP \(MCPProtocol.latestModern): \(instead)")
    }
}

extension GatewaySession {
    // MARK: - The modern era

    /// Notes a modern request: the client is modern unless it also initialized, and the engine
    /// learns of the session at its first request.
    func beginModern(_ request: ModernRequest) {
        state.withLock { state in
            if !state.initialized { state.modern = true }
            if state.clientName == nil {
                state.clientName = request.clientName
                state.clientVersion = request.clientVersion
            }
        }
        register(clientName: request.clientName, clientVersion: request.clientVersion, protocolVersion: request.version)
    }

    /// `server/discover`: the versions Junction speaks, what it serves, and who it is.
    func discover() async -> RawJSON {
        RawJSON(object: [
            ("resultType", RawJSON(string: "complete")),
            ("supportedVersions", RawJSON(array: MCPProtocol.supportedVersions.map { RawJSON(string: $0) })),
            ("capabilities", Self.capabilities),
            ("instructions", RawJSON(string: Self.instructions)),
            ("_meta", RawJSON(object: [(MCPProtocol.Meta.serverInfo, Self.serverInfo)])),
            ("ttlMs", RawJSON(integer: Self.cacheHint("server/discover")?.ttlMs ?? 0)),
            ("cacheScope", RawJSON(string: "public")),
        ])
    }

    // MARK: - Subscriptions

    /// `subscriptions/listen`: acknowledges the filter, then stays open (delivering the change
    /// notifications it opted into, tagged with its id) until the client cancels it or the
    /// session ends (then it is answered with a completion result).
    func listen(_ request: JSONRPCMessage) async throws -> JSONRPCMessage? {
        guard let id = request.id else { return nil }
        let requested = request.params?["notifications"] ?? .emptyObject
        guard requested.isObject else {
            throw SessionError(
                code: JSONRPCErrorCode.invalidParams,
                message: "subscriptions/listen needs params.notifications (an object)")
        }
        var filter = SubscriptionFilter()
        filter.tools = requested["toolsListChanged"]?.boolValue == true
        filter.prompts = requested["promptsListChanged"]?.boolValue == true
        filter.resources = requested["resourcesListChanged"]?.boolValue == true
        if let uris = requested["resourceSubscriptions"] {
            guard let list = uris.elements, list.allSatisfy(\.isString) else {
                throw SessionError(
                    code: JSONRPCErrorCode.invalidParams,
                    message: "notifications.resourceSubscriptions must be an array of resource URIs")
            }
            filter.resourceURIs = Set(list.compactMap(\.stringValue))
        }
        var agreed: [(key: String, value: RawJSON)] = []
        if filter.tools { agreed.append(("toolsListChanged", .true)) }
        if filter.prompts { agreed.append(("promptsListChanged", .true)) }
        if filter.resources { agreed.append(("resourcesListChanged", .true)) }
        var subscribed: [(DownstreamInstance, String)] = []
        for uri in filter.resourceURIs.sorted() {
            if let instance = try? await resourceInstance(for: uri), (try? await instance.subscribe(uri: uri)) != nil {
                subscribed.append((instance, uri))
            }
        }
        if !filter.resourceURIs.isEmpty {
            agreed.append(("resourceSubscriptions", RawJSON(array: subscribed.map { RawJSON(string: $0.1) })))
        }
        filter.resourceURIs = Set(subscribed.map(\.1))
        let registered = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.subscriptions[id] = filter
            return true
        }
        guard registered else { return nil }
        defer {
            state.withLock { _ = $0.subscriptions.removeValue(forKey: id) }
            for (instance, uri) in subscribed {
                // Short: withdraws one resource subscription; ends by itself.
                Task { try? await instance.unsubscribe(uri: uri) }
            }
        }
        notify(
            "notifications/subscriptions/acknowledged",
            params: RawJSON(object: [
                ("_meta", RawJSON(object: [(MCPProtocol.Meta.subscriptionId, id)])),
                ("notifications", RawJSON(object: agreed)),
            ]))
        state.withLock { $0.subscriptions[id]?.acknowledged = true }
        // Open until cancelled: by the client (notifications/cancelled) or the session's end.
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(3600))
        }
        return nil
    }

    /// The graceful end of a subscription the server closes.
    static func subscriptionEnded(_ id: RawJSON) -> RawJSON {
        RawJSON(object: [
            ("resultType", RawJSON(string: "complete")),
            ("_meta", RawJSON(object: [(MCPProtocol.Meta.subscriptionId, id)])),
        ])
    }

    /// Sends a change notification to a handshake-era client, and to each subscription that
    /// opted into it (tagged with the subscription's id).
    func emit(_ method: String, params: RawJSON?, kind: SubscriptionFilter.Kind? = nil, uri: String? = nil) {
        let (unsolicited, subscriptions) = state.withLock { state -> (Bool, [RawJSON]) in
            let ids = state.subscriptions.filter { _, filter in
                guard filter.acknowledged else { return false }
                if let kind { return filter.wants(kind) }
                if let uri { return filter.resourceURIs.contains(uri) }
                return false
            }.map(\.key)
            return (!state.modern || state.initialized, ids)
        }
        if unsolicited { notify(method, params: params) }
        for id in subscriptions {
            notify(method, params: MCPProtocol.settingMeta(MCPProtocol.Meta.subscriptionId, to: id, in: params))
        }
    }

    var hasSubscriptions: Bool { state.withLock { !$0.subscriptions.isEmpty } }

    /// A downstream says a resource changed: handshake-era clients hear of every update (as
    /// before), subscriptions of the URIs they named.
    func resourceUpdated(_ params: RawJSON?) {
        emit("notifications/resources/updated", params: params, uri: params?["uri"]?.stringValue)
    }

    // MARK: - Requests to downstreams

    /// What goes with a request to a modern downstream on this client's behalf: the capabilities
    /// the client can answer input requests with, and the log level it asked for.
    func downstreamContext() -> RequestContext {
        if let modern = Self.modernRequest {
            return RequestContext(
                clientCapabilities: modern.capabilities, logLevel: modern.logLevel.map { Self.logLevels[$0] })
        }
        let (capabilities, level) = state.withLock { ($0.clientCapabilities, $0.logLevel) }
        // Junction turns these input requests into the handshake era's server-to-client requests.
        let bridged = Self.inputRequestCapabilities.values.sorted().compactMap { name in
            capabilities[name].map { (key: name, value: $0) }
        }
        return RequestContext(clientCapabilities: RawJSON(object: bridged), logLevel: level.map { Self.logLevels[$0] })
    }

    /// Sends a client's request (tools/call, prompts/get, resources/read, completion) on to a
    /// downstream and returns its answer for this client: multi round-trip requests are relayed
    /// to a modern client (under Junction's sealed `requestState`) or played out with a
    /// handshake-era client; modern result fields are dropped for handshake-era clients; a
    /// modern request's log messages flow while it runs.
    func forward(
        _ method: String, subject: String, params: RawJSON, to instance: DownstreamInstance,
        resume: ResumeState? = nil, approved: Bool = false, onProgress: (@Sendable (RawJSON) -> Void)? = nil
    ) async throws -> JSONRPCMessage {
        let modern = Self.modernRequest
        if let modern, let rank = modern.logLevel {
            state.withLock { $0.logListeners[modern.id] = (instance.downstream.id, rank) }
        }
        defer {
            if let modern, modern.logLevel != nil {
                state.withLock { _ = $0.logListeners.removeValue(forKey: modern.id) }
            }
        }
        var params = params
        if let resume {
            // Junction's sealed state goes no further: the server gets back its own, if it had one.
            params = params.removing("requestState") ?? params
            if let serverState = resume.serverState {
                params = params.setting("requestState", to: RawJSON(string: serverState)) ?? params
            }
        }
        // Only a per-session server can ask its client anything the handshake-era way.
        if let modern, !instance.era.isModern, instance.key.sessionId != nil || resume?.exchangeId != nil {
            return try await exchange(
                method, subject: subject, params: params, with: instance, resume: resume, approved: approved,
                modern: modern, onProgress: onProgress)
        }
        // Handshake-era servers get no per-request context: spare the hot path building one.
        let context = instance.era.isModern ? downstreamContext() : nil
        var response = try await instance.request(method, params: params, onProgress: onProgress, context: context)
        guard instance.era.isModern, response.result != nil else { return response }
        for _ in 0..<Self.maxInputRounds {
            guard let result = response.result, result["resultType"]?.stringValue == "input_required" else { break }
            if let modern {
                // A server that asks for what the client cannot give gets no further.
                for (_, request) in result["inputRequests"]?.members ?? [] {
                    let asked = request["method"]?.stringValue ?? ""
                    if !modern.supports(inputRequest: asked) { throw Self.missingCapability(asked) }
                }
                let sealed = engine.requestStates.seal(
                    ResumeState(
                        method: method, subject: subject, downstreamId: instance.downstream.id,
                        serverState: result["requestState"]?.stringValue, approved: approved, exchangeId: nil))
                response.result = result.setting("requestState", to: RawJSON(string: sealed)) ?? result
                return response
            }
            // A handshake-era client: ask it the old way, then retry with its answers.
            let answers = try await askClient(result["inputRequests"] ?? .emptyObject)
            var retry = params.setting("inputResponses", to: answers) ?? params
            retry = retry.removing("requestState") ?? retry
            if let state = result["requestState"] { retry = retry.setting("requestState", to: state) ?? retry }
            response = try await instance.request(method, params: retry, onProgress: onProgress, context: context)
        }
        if let result = response.result {
            guard result["resultType"]?.stringValue != "input_required" else {
                throw SessionError(
                    code: JSONRPCErrorCode.internalError,
                    message: "\(instance.downstream.name) kept asking for input (\(Self.maxInputRounds) rounds)")
            }
            if modern == nil { response.result = Self.handshakeResult(result) }
        }
        return response
    }

    static let maxInputRounds = 16

    /// Asks a handshake-era client each input request (`{key: {method, params}}`) as a
    /// server-to-client request, one at a time; returns `{key: result}`.
    func askClient(_ requests: RawJSON) async throws -> RawJSON {
        guard let members = requests.members else {
            throw SessionError(code: JSONRPCErrorCode.internalError, message: "inputRequests is not an object")
        }
        let capabilities = state.withLock { $0.clientCapabilities }
        var answers: [(key: String, value: RawJSON)] = []
        for (key, request) in members {
            let method = request["method"]?.stringValue ?? ""
            guard Self.supports(capabilities: capabilities, inputRequest: method) else {
                throw Self.missingCapability(method)
            }
            let answer = await requestClient(method, params: request["params"], timeout: .seconds(600))
            try Task.checkCancellation()
            guard answer.kind == .response, let result = answer.result else {
                throw SessionError(
                    code: answer.errorCode ?? JSONRPCErrorCode.internalError,
                    message: "the client did not answer \(method): \(answer.errorMessage ?? "no result")")
            }
            answers.append((key, result))
        }
        return RawJSON(object: answers)
    }

    /// Opens a retry's sealed `requestState` (nil when the request carries none). A state Junction
    /// did not seal, or sealed for another request, is refused.
    func resumeState(_ params: RawJSON, method: String, subject: String) throws -> ResumeState? {
        guard Self.modernRequest != nil, let raw = params["requestState"] else { return nil }
        guard let text = raw.stringValue, let resume = engine.requestStates.open(text), resume.method == method,
            resume.subject == subject
        else {
            throw SessionError(
                code: JSONRPCErrorCode.invalidParams,
                message: "requestState is not one Junction issued for this \(method) (or it expired): "
                    + "send the request again without requestState and inputResponses")
        }
        return resume
    }

    // MARK: - Handshake-era servers asking modern clients

    /// Runs a modern client's request to a handshake-era server that may ask for input: a
    /// question from the server becomes an `InputRequiredResult`, and the server's request
    /// waits (parked) for the client's retry.
    private func exchange(
        _ method: String, subject: String, params: RawJSON, with instance: DownstreamInstance,
        resume: ResumeState?, approved: Bool, modern: ModernRequest, onProgress: (@Sendable (RawJSON) -> Void)?
    ) async throws -> JSONRPCMessage {
        let exchange: InputExchange
        if let exchangeId = resume?.exchangeId {
            guard let parked = state.withLock({ $0.exchanges[exchangeId] }), let waiting = parked.unpark() else {
                throw SessionError(
                    code: JSONRPCErrorCode.invalidParams,
                    message: "the request waiting for this input has ended: send the request again without "
                        + "requestState and inputResponses")
            }
            guard let answer = params["inputResponses"]?[Self.inputKey] else {
                // Not answered: ask again.
                parked.park(waiting.request, reply: waiting.reply, timeout: Self.parkTimeout)
                return inputRequired(
                    waiting.request, exchange: parked, method: method, subject: subject, approved: approved)
            }
            waiting.reply(.response(id: waiting.request.id ?? .null, result: answer))
            exchange = parked
        } else {
            exchange = InputExchange(downstreamId: instance.downstream.id)
            state.withLock { $0.exchanges[exchange.id] = exchange }
            let context = downstreamContext()
            exchange.start {
                try await instance.request(method, params: params, onProgress: onProgress, context: context)
            }
        }
        while true {
            switch await exchange.next() {
            case .done(let outcome):
                state.withLock { _ = $0.exchanges.removeValue(forKey: exchange.id) }
                if case .failure(let error) = outcome, error is CancellationError { throw CancellationError() }
                return try outcome.get()
            case .input(let request, let reply):
                let asked = request.method ?? ""
                guard modern.supports(inputRequest: asked) else {
                    let missing = Self.missingCapability(asked)
                    reply(
                        .errorResponse(id: request.id, code: missing.code, message: missing.message, data: missing.data)
                    )
                    continue
                }
                exchange.park(request, reply: reply, timeout: Self.parkTimeout)
                return inputRequired(request, exchange: exchange, method: method, subject: subject, approved: approved)
            }
        }
    }

    static let inputKey = "junction-input"
    /// How long a handshake-era server's question waits for the modern client's retry.
    static let parkTimeout: Duration = .seconds(600)

    private func inputRequired(
        _ request: JSONRPCMessage, exchange: InputExchange, method: String, subject: String, approved: Bool
    ) -> JSONRPCMessage {
        let sealed = engine.requestStates.seal(
            ResumeState(
                method: method, subject: subject, downstreamId: exchange.downstreamId, serverState: nil,
                approved: approved, exchangeId: exchange.id))
        var asked: [(key: String, value: RawJSON)] = [("method", RawJSON(string: request.method ?? ""))]
        if let params = request.params { asked.append(("params", params)) }
        return .response(
            id: Self.modernRequest?.id ?? .null,
            result: RawJSON(object: [
                ("resultType", RawJSON(string: "input_required")),
                ("inputRequests", RawJSON(object: [(Self.inputKey, RawJSON(object: asked))])),
                ("requestState", RawJSON(string: sealed)),
            ]))
    }

    /// A per-session downstream's request to its client (sampling, elicitation, roots): to a
    /// modern client through the exchange of the request it serves, else as a request.
    func relayFromDownstream(_ request: JSONRPCMessage) async -> JSONRPCMessage {
        let (exchange, modernOnly) = state.withLock { state in
            (
                state.exchanges.values.filter { !$0.isParked && !$0.isFinished }.max { $0.id < $1.id },
                state.modern && !state.initialized
            )
        }
        if let exchange {
            return await withCheckedContinuation { continuation in
                let once = OnceFlag()
                exchange.push(
                    .input(
                        request,
                        reply: { answer in
                            guard once.claim() else { return }
                            continuation.resume(returning: answer)
                        }))
            }
        }
        if modernOnly {
            return .errorResponse(
                id: request.id, code: MCPProtocol.ErrorCode.missingRequiredClientCapability,
                message: "the client speaks MCP \(MCPProtocol.latestModern) and takes no requests outside a call")
        }
        let answer = await requestClient(request.method ?? "", params: request.params, timeout: .seconds(600))
        var relayed = answer
        relayed.id = request.id
        return relayed
    }
}
