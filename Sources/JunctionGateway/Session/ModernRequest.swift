import JunctionCore

/// A client request of MCP's modern era (2026-07-28): it carries its own protocol version,
/// capabilities, identity and log level in `_meta`, and is served from those alone.
struct ModernRequest: Sendable {
    var version: String
    var capabilities: RawJSON
    var clientName: String?
    var clientVersion: String?
    /// The level the client asked log messages of this request at (a rank in
    /// `GatewaySession.logLevels`); nil: it wants none.
    var logLevel: Int?
    /// The request's JSON-RPC id (to correlate log messages and subscriptions).
    var id: RawJSON

    /// Reads a request's `_meta`: nil for a handshake-era request (no protocol version there).
    /// Throws -32022 for a version Junction does not serve statelessly, -32602 for a bad level.
    static func parse(_ request: JSONRPCMessage) throws(SessionError) -> ModernRequest? {
        guard let meta = request.params?["_meta"], let version = meta[MCPProtocol.Meta.protocolVersion] else {
            return nil
        }
        guard let text = version.stringValue, MCPProtocol.isModern(text) else {
            throw SessionError.unsupportedVersion(version.stringValue ?? version.description)
        }
        let capabilities = meta[MCPProtocol.Meta.clientCapabilities].flatMap { $0.isObject ? $0 : nil }
        let info = meta[MCPProtocol.Meta.clientInfo]
        var logLevel: Int?
        if let level = meta[MCPProtocol.Meta.logLevel] {
            guard let name = level.stringValue, let rank = GatewaySession.logLevels.firstIndex(of: name) else {
                throw SessionError(
                    code: JSONRPCErrorCode.invalidParams,
                    message: "_meta[\"\(MCPProtocol.Meta.logLevel)\"] must be one of "
                        + GatewaySession.logLevels.joined(separator: ", "))
            }
            logLevel = rank
        }
        return ModernRequest(
            version: text, capabilities: capabilities ?? .emptyObject, clientName: info?["name"]?.stringValue,
            clientVersion: info?["version"]?.stringValue, logLevel: logLevel, id: request.id ?? .null)
    }

    /// Whether the client can answer an input request of this method (MRTR).
    func supports(inputRequest method: String) -> Bool {
        GatewaySession.supports(capabilities: capabilities, inputRequest: method)
    }
}

extension SessionError {
    /// UnsupportedProtocolVersionError: names what Junction speaks, so the client can pick.
    static func unsupportedVersion(_ requested: String) -> SessionError {
        SessionError(
            code: MCPProtocol.ErrorCode.unsupportedProtocolVersion,
            message: "Unsupported protocol version \(requested); Junction supports "
                + MCPProtocol.supportedVersions.joined(separator: ", "),
            data: RawJSON(object: [
                ("supported", RawJSON(array: MCPProtocol.supportedVersions.map { RawJSON(string: $0) })),
                ("requested", RawJSON(string: requested)),
            ]))
    }
}

extension GatewaySession {
    /// The modern request the current task serves (nil: a handshake-era request).
    @TaskLocal static var modernRequest: ModernRequest?

    /// Methods a server may ask of its client (through server-to-client requests in the handshake
    /// era, through `inputRequests` in the modern one), and the client capability each needs.
    static let inputRequestCapabilities = [
        "elicitation/create": "elicitation", "sampling/createMessage": "sampling", "roots/list": "roots",
    ]

    static func supports(capabilities: RawJSON, inputRequest method: String) -> Bool {
        guard let capability = inputRequestCapabilities[method] else { return false }
        return capabilities[capability] != nil
    }

    /// The error for an input request a client cannot answer, naming what it lacks.
    static func missingCapability(_ method: String) -> SessionError {
        let capability = inputRequestCapabilities[method] ?? method
        return SessionError(
            code: MCPProtocol.ErrorCode.missingRequiredClientCapability,
            message: "The server needs \(method) from the client, which did not declare the "
                + "\"\(capability)\" capability: the request cannot complete through this client.",
            data: RawJSON(object: [("requiredCapabilities", RawJSON(object: [(capability, .emptyObject)]))]))
    }

    /// Result decorations of the modern era: every result says it is complete (unless it asks for
    /// input), names the server (Junction), and cacheable ones carry a freshness hint and a scope.
    static func modernResult(_ result: RawJSON, method: String) -> RawJSON {
        guard result.isObject else { return result }
        var decorated = result
        if decorated["resultType"] == nil {
            decorated = decorated.setting("resultType", to: RawJSON(string: "complete")) ?? decorated
        }
        let complete = decorated["resultType"]?.stringValue == "complete"
        if complete, let hint = cacheHint(method) {
            if decorated["ttlMs"]?.intValue == nil {
                decorated = decorated.setting("ttlMs", to: RawJSON(integer: hint.ttlMs)) ?? decorated
            }
            if decorated["cacheScope"]?.stringValue == nil {
                decorated = decorated.setting("cacheScope", to: RawJSON(string: hint.scope)) ?? decorated
            }
        }
        // The client's server is Junction: a downstream's own identity is replaced.
        let meta = decorated["_meta"].flatMap { $0.isObject ? $0 : nil } ?? .emptyObject
        if let newMeta = meta.setting(MCPProtocol.Meta.serverInfo, to: serverInfo) {
            decorated = decorated.setting("_meta", to: newMeta) ?? decorated
        }
        return decorated
    }

    /// Caching hints by method. Lists depend on the workspace and its routing rules, so they are
    /// private to the caller, and immediately stale: Junction answers them from memory, and a rule
    /// or catalog change must show at once (subscribers also get list_changed). `server/discover`
    /// is the same for everyone.
    static func cacheHint(_ method: String) -> (ttlMs: Int, scope: String)? {
        switch method {
        case "server/discover": (300_000, "public")
        case "tools/list", "prompts/list", "resources/list", "resources/templates/list", "resources/read":
            (0, "private")
        default: nil
        }
    }

    static let serverInfo = RawJSON(object: [
        ("name", RawJSON(string: "junction")), ("version", RawJSON(string: JunctionVersion.current)),
    ])

    /// A downstream's result as a handshake-era client expects it: without the modern era's
    /// result fields (the rest passes through).
    static func handshakeResult(_ result: RawJSON) -> RawJSON {
        guard result.isObject, result["resultType"] != nil else { return result }
        var plain = result
        for key in ["resultType", "ttlMs", "cacheScope"] { plain = plain.removing(key) ?? plain }
        // The downstream's identity stamp means nothing to this client (its server is Junction).
        if let meta = plain["_meta"], meta[MCPProtocol.Meta.serverInfo] != nil,
            let rest = meta.removing(MCPProtocol.Meta.serverInfo)
        {
            plain =
                (rest.members?.isEmpty == true ? plain.removing("_meta") : plain.setting("_meta", to: rest)) ?? plain
        }
        return plain
    }
}
