/// Protocol revisions and the reserved `_meta` keys of MCP's two eras: the handshake era
/// (`initialize`, 2024-11-05 … 2025-11-25) and the modern era (2026-07-28 and later), where every
/// request carries its version, capabilities and client identity in `_meta` and nothing is
/// negotiated up front.
public enum MCPProtocol {
    /// Versions reached through the `initialize` handshake, oldest first.
    public static let handshakeVersions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
    /// Versions served statelessly, with per-request `_meta`, oldest first.
    public static let modernVersions = ["2026-07-28"]
    /// Every version Junction speaks, newest first (as `server/discover` and -32022 list them).
    public static let supportedVersions = (handshakeVersions + modernVersions).reversed().map { $0 }
    public static let latestModern = "2026-07-28"

    public static func isModern(_ version: String) -> Bool { modernVersions.contains(version) }

    /// Reserved `_meta` keys.
    public enum Meta {
        public static let protocolVersion = "io.modelcontextprotocol/protocolVersion"
        public static let clientCapabilities = "io.modelcontextprotocol/clientCapabilities"
        public static let clientInfo = "io.modelcontextprotocol/clientInfo"
        public static let serverInfo = "io.modelcontextprotocol/serverInfo"
        public static let logLevel = "io.modelcontextprotocol/logLevel"
        public static let subscriptionId = "io.modelcontextprotocol/subscriptionId"
    }

    /// Modern error codes (the -32020 … -32099 range the specification reserves).
    public enum ErrorCode {
        public static let headerMismatch = -32020
        public static let missingRequiredClientCapability = -32021
        public static let unsupportedProtocolVersion = -32022
    }

    /// The version a request's `_meta` declares, when it is a modern-era request.
    public static func declaredVersion(of params: RawJSON?) -> String? {
        params?["_meta"]?[Meta.protocolVersion]?.stringValue
    }

    /// `params` with `_meta[key] = value` (a `_meta` that is not an object is replaced).
    public static func settingMeta(_ key: String, to value: RawJSON, in params: RawJSON?) -> RawJSON {
        let base = params.flatMap { $0.isObject ? $0 : nil } ?? .emptyObject
        let meta = base["_meta"].flatMap { $0.isObject ? $0 : nil } ?? .emptyObject
        let newMeta = meta.setting(key, to: value) ?? meta
        return base.setting("_meta", to: newMeta) ?? base
    }
}
