import JunctionCore

/// Downstream log messages: the client's level, and relaying what reaches it.
extension GatewaySession {
    /// RFC 5424 severities as MCP names them, least severe first.
    static let logLevels = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]

    /// Records the client's level (messages below it are not relayed) and passes it on to this
    /// session's own per-session servers; shared servers keep theirs, as other clients share them.
    func setLogLevel(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        guard let params = request.params, let level = params["level"]?.stringValue,
            let rank = Self.logLevels.firstIndex(of: level)
        else {
            throw SessionError(
                code: JSONRPCErrorCode.invalidParams,
                message: "logging/setLevel needs params.level, one of \(Self.logLevels.joined(separator: ", "))")
        }
        state.withLock { $0.logLevel = rank }
        for instance in await engine.pool.running() where instance.key.sessionId == id {
            if instance.capabilities["logging"] != nil { instance.notifyRequest("logging/setLevel", params: params) }
        }
        return .response(id: request.id ?? .null, result: .emptyObject)
    }

    /// Relays a downstream log message when it is at or above the client's level: to a
    /// handshake-era client as before; to a modern one only while a request that asked for log
    /// messages (at that level) is being served by that downstream.
    func relayLog(_ params: RawJSON?, from key: InstanceKey) {
        let rank = params?["level"]?.stringValue.flatMap { Self.logLevels.firstIndex(of: $0) } ?? 0
        let wanted = state.withLock { state -> Bool in
            if !state.modern || state.initialized { return rank >= (state.logLevel ?? 0) }
            return state.logListeners.values.contains { $0.downstreamId == key.downstreamId && rank >= $0.rank }
        }
        if wanted { notify("notifications/message", params: params) }
    }
}
