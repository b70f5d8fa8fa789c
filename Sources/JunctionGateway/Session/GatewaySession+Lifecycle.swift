import Foundation
import JunctionCore

/// The handshake (`initialize`), registering the session with the engine, the client's roots, and
/// requests Junction sends the client.
extension GatewaySession {
    func initialize(_ request: JSONRPCMessage) -> JSONRPCMessage {
        let params = request.params ?? .emptyObject
        let requested = params["protocolVersion"]?.stringValue
        let version =
            requested.flatMap { Self.supportedProtocolVersions.contains($0) ? $0 : nil }
            ?? Self.supportedProtocolVersions.last ?? "2025-06-18"
        state.withLock { state in
            state.initialized = true
            state.protocolVersion = version
            state.clientCapabilities = params["capabilities"] ?? .emptyObject
            state.clientName = params["clientInfo"]?["name"]?.stringValue
            state.clientVersion = params["clientInfo"]?["version"]?.stringValue
        }
        register(
            clientName: params["clientInfo"]?["name"]?.stringValue,
            clientVersion: params["clientInfo"]?["version"]?.stringValue, protocolVersion: version)
        return .response(
            id: request.id ?? .null,
            result: RawJSON(object: [
                ("protocolVersion", RawJSON(string: version)),
                ("capabilities", Self.capabilities),
                ("serverInfo", Self.serverInfo),
                ("instructions", RawJSON(string: Self.instructions)),
            ]))
    }

    static let instructions = "Junction routes these tools to many MCP servers; tool names are namespace__tool."

    /// What Junction serves, in either era.
    static let capabilities = RawJSON(object: [
        ("tools", RawJSON(object: [("listChanged", .true)])),
        ("resources", RawJSON(object: [("listChanged", .true), ("subscribe", .true)])),
        ("prompts", RawJSON(object: [("listChanged", .true)])),
        ("logging", .emptyObject),
        ("completions", .emptyObject),
    ])

    /// Makes the session known to the engine (sessions list, audit), once.
    func register(clientName: String?, clientVersion: String?, protocolVersion: String) {
        let first = state.withLock { state -> Bool in
            defer { state.registered = true }
            return !state.registered
        }
        guard first else { return }
        let root = engine.rootPath(of: target)
        engine.sessionStarted(
            self,
            info: SessionInfo(
                id: id, clientName: clientName, clientVersion: clientVersion, protocolVersion: protocolVersion,
                transport: transport, clientRoot: root,
                workspaceId: engine.route(tool: "-", clientRoot: root ?? "/").workspace?.id))
    }

    /// Asks a client that supports roots where it works, unless a workspace was pinned.
    func startRootsDiscovery() {
        let shouldAsk = state.withLock { state -> Bool in
            !state.pinned && state.clientCapabilities["roots"] != nil
        }
        guard shouldAsk else { return }
        // Kept as rootsTask: replaced (and cancelled) by the next roots change, cancelled by close().
        let task = Task { [self] in
            let response = await requestClient("roots/list", params: nil, timeout: .seconds(5))
            guard response.kind == .response,
                let roots = response.result?["roots"]?.elements,
                let path = roots.lazy.compactMap({ $0["uri"]?.stringValue }).compactMap(Self.path(fromFileURI:)).first
            else { return }
            let changed = state.withLock { state -> Bool in
                guard state.target != .folder(path) else { return false }
                state.target = .folder(path)
                return true
            }
            if changed { await notifyIfVisibleSetChanged() }
        }
        state.withLock { state in
            state.rootsTask?.cancel()
            state.rootsTask = task
        }
    }

    /// Waits (briefly) for the client's roots answer so the first tools/list routes right.
    func awaitRoots() async {
        guard let task = state.withLock({ $0.rootsTask }) else { return }
        await task.value
    }

    static func path(fromFileURI uri: String) -> String? {
        guard let url = URL(string: uri), url.isFileURL else { return nil }
        let path = url.path
        return path.isEmpty ? nil : path
    }

    /// Sends a request to the client and waits for its answer (bounded).
    func requestClient(_ method: String, params: RawJSON?, timeout: Duration) async -> JSONRPCMessage {
        let id = state.withLock { state -> Int in
            defer { state.nextClientRequestId += 1 }
            return state.nextClientRequestId
        }
        // Bound: the answer or a timeout error, whichever first; cancelled with the caller.
        let timer = Task { [self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            let continuation = state.withLock { $0.clientRequests.removeValue(forKey: id) }
            continuation?.resume(
                returning: .errorResponse(
                    id: RawJSON(integer: id), code: JSONRPCErrorCode.timeout, message: "the client did not answer"))
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let closed = state.withLock { state -> Bool in
                    if state.closed || Task.isCancelled { return true }
                    state.clientRequests[id] = continuation
                    return false
                }
                if closed {
                    continuation.resume(
                        returning: .errorResponse(
                            id: nil, code: JSONRPCErrorCode.requestCancelled, message: "session closed or cancelled"))
                    return
                }
                send(.request(id: RawJSON(integer: id), method: method, params: params))
            }
        } onCancel: {
            // The downstream withdrew its request: withdraw ours from the client too.
            let continuation = state.withLock { $0.clientRequests.removeValue(forKey: id) }
            guard let continuation else { return }
            notify(
                "notifications/cancelled",
                params: RawJSON(object: [
                    ("requestId", RawJSON(integer: id)),
                    ("reason", RawJSON(string: "the server cancelled its request")),
                ]))
            continuation.resume(
                returning: .errorResponse(
                    id: RawJSON(integer: id), code: JSONRPCErrorCode.requestCancelled, message: "cancelled"))
        }
    }
}
