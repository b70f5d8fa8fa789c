import JunctionCore

/// Which era of MCP a downstream speaks, found by probing it at start (`server/discover`, falling
/// back to `initialize`).
public enum ProtocolEra: Sendable, Hashable, CustomStringConvertible {
    /// The `initialize` handshake, at the negotiated version.
    case handshake(String)
    /// Stateless requests carrying `_meta`, at this version.
    case modern(String)

    public var version: String {
        switch self {
        case .handshake(let version), .modern(let version): version
        }
    }

    public var isModern: Bool {
        if case .modern = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .handshake(let version): "handshake \(version)"
        case .modern(let version): "modern \(version)"
        }
    }
}

/// What travels with one request to a modern downstream on behalf of the client it serves: that
/// client's capabilities (so the server asks only for input the client can give) and the log
/// level it asked for (no log messages without one).
public struct RequestContext: Sendable {
    public var clientCapabilities: RawJSON
    public var logLevel: String?

    public init(clientCapabilities: RawJSON = .emptyObject, logLevel: String? = nil) {
        self.clientCapabilities = clientCapabilities
        self.logLevel = logLevel
    }
}
