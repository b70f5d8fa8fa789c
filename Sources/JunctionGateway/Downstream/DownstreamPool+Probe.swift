import JunctionCore

/// Finding which era of MCP a downstream speaks: stdio's backward-compatibility probe.
extension DownstreamPool {
    /// What the era probe found.
    enum ProbeOutcome {
        /// The server answered `server/discover` naming this modern version Junction speaks.
        case modern(version: String, discovered: RawJSON)
        /// Anything else: another error, a result without such a version, or silence.
        case handshake
        /// The process ended during the probe (some legacy servers die on an unknown method).
        case exited
    }

    /// Identifies a server definition for the era memory: an edited server is probed again.
    struct EraMemoryKey: Hashable, Sendable {
        var downstreamId: String
        var command: String?
        var args: [String]
        var env: [String: String]
        var cwd: String?
        var url: String?
        var headers: [String: String]
        var httpTransport: Downstream.HTTPTransport

        init(_ downstream: Downstream) {
            downstreamId = downstream.id
            command = downstream.command
            args = downstream.args
            env = downstream.env
            cwd = downstream.cwd
            url = downstream.url
            headers = downstream.headers
            httpTransport = downstream.httpTransport
        }
    }

    /// Asks the server `server/discover` at `version` (the newest modern version Junction speaks).
    ///
    /// A result whose `supportedVersions` names a modern version Junction speaks means the modern
    /// era at the newest such. An `unsupportedProtocolVersion` error (-32022) whose `data.supported`
    /// names one is asked again at it, once. Anything else means the handshake era: the fallback is
    /// not keyed to one error code, as legacy servers answer unknown methods as they please, or
    /// not at all (hence the short timeout). Cancellation (shutdown) is thrown.
    func probe(
        _ connection: DownstreamConnection, downstream: Downstream, version: String = MCPProtocol.latestModern
    ) async throws -> ProbeOutcome {
        let timeout = min(options.startupTimeout, options.probeTimeout)
        var version = version
        for attempt in 0..<2 {
            let response: JSONRPCMessage
            do {
                response = try await connection.request(
                    "server/discover", params: Self.discoverParams(version: version), timeout: timeout)
            } catch DownstreamError.timeout {
                return .handshake
            } catch DownstreamError.unavailable {
                return .exited
            }
            if let result = response.result, result.isObject {
                let offered = result["supportedVersions"]?.elements?.compactMap(\.stringValue) ?? []
                guard let mutual = Self.newestModern(in: offered) else { return .handshake }
                return .modern(version: mutual, discovered: result)
            }
            if attempt == 0, let mutual = Self.modernVersion(offeredBy: response), mutual != version {
                version = mutual
                continue
            }
            return .handshake
        }
        return .handshake
    }

    /// The newest modern version Junction speaks that an `unsupportedProtocolVersion` error
    /// (-32022) names in its `data.supported`.
    static func modernVersion(offeredBy response: JSONRPCMessage) -> String? {
        guard response.errorCode == MCPProtocol.ErrorCode.unsupportedProtocolVersion,
            let offered = response.error?["data"]?["supported"]?.elements?.compactMap(\.stringValue)
        else { return nil }
        return newestModern(in: offered)
    }

    /// The newest modern version Junction speaks among `versions`.
    static func newestModern(in versions: [String]) -> String? {
        MCPProtocol.modernVersions.last(where: versions.contains)
    }

    static func discoverParams(version: String) -> RawJSON {
        var params = MCPProtocol.settingMeta(MCPProtocol.Meta.protocolVersion, to: RawJSON(string: version), in: nil)
        params = MCPProtocol.settingMeta(MCPProtocol.Meta.clientInfo, to: DownstreamInstance.clientInfo, in: params)
        return MCPProtocol.settingMeta(MCPProtocol.Meta.clientCapabilities, to: .emptyObject, in: params)
    }

    /// What an `initialize` result would have said, from a `server/discover` result: the rest of
    /// Junction reads capabilities, serverInfo and instructions from there whatever the era.
    static func initializeResult(discovered: RawJSON, version: String) -> RawJSON {
        var members: [(key: String, value: RawJSON)] = [
            ("protocolVersion", RawJSON(string: version)),
            ("capabilities", discovered["capabilities"].flatMap { $0.isObject ? $0 : nil } ?? .emptyObject),
        ]
        if let serverInfo = discovered["_meta"]?[MCPProtocol.Meta.serverInfo], serverInfo.isObject {
            members.append(("serverInfo", serverInfo))
        }
        if let instructions = discovered["instructions"], instructions.isString {
            members.append(("instructions", instructions))
        }
        return RawJSON(object: members)
    }

    /// The message without the subscription tag in its params' `_meta` (and without a `_meta`
    /// left empty by that).
    static func untagged(_ message: JSONRPCMessage) -> JSONRPCMessage {
        guard let params = message.params, let meta = params["_meta"],
            meta[MCPProtocol.Meta.subscriptionId] != nil, let rest = meta.removing(MCPProtocol.Meta.subscriptionId)
        else { return message }
        var untagged = message
        untagged.params =
            rest.members?.isEmpty == true ? params.removing("_meta") : params.setting("_meta", to: rest)
        return untagged
    }
}
