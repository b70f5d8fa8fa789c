import JunctionCore

/// Why a call to a downstream did not produce a response.
public enum DownstreamError: Error, Sendable, CustomStringConvertible {
    /// The server is not running: failed to start, crashed, or was stopped.
    case unavailable(server: String, reason: String, stderr: [String])
    case timeout(server: String, seconds: Double)
    case cancelled
    /// The server answered something Junction cannot use.
    case protocolError(server: String, reason: String)
    /// The server answered a request Junction made of it with a JSON-RPC error (a subscription it
    /// refused); `code` and `message` are the server's.
    case rejected(server: String, method: String, code: Int, message: String)
    /// The server's answer was longer than the message size limit; it was dropped unread.
    case messageTooLarge(server: String, bytes: Int, limit: Int)
    /// A remote server wants a sign-in Junction cannot do by itself (no token stored, or the
    /// refresh token was refused); `detail` says what the server or the token endpoint said.
    case authorizationRequired(server: String, detail: String)

    public var description: String {
        switch self {
        case .unavailable(let server, let reason, let stderr):
            let tail = stderr.suffix(5).joined(separator: " | ")
            return "server '\(server)' is unavailable: \(reason)" + (tail.isEmpty ? "" : ". Last stderr: \(tail)")
        case .timeout(let server, let seconds):
            return "server '\(server)' did not answer within \(Int(seconds)) s; the call was cancelled"
        case .cancelled:
            return "the request was cancelled"
        case .protocolError(let server, let reason):
            return "server '\(server)' broke the protocol: \(reason)"
        case .rejected(let server, let method, _, let message):
            return "server '\(server)' refused \(method): \(message)"
        case .messageTooLarge(let server, let bytes, let limit):
            return "server '\(server)' answered with a message of \(bytes) bytes, over the limit of \(limit) bytes "
                + "(setting max_message_bytes); the answer was dropped"
        case .authorizationRequired(let server, let detail):
            return "server '\(server)' needs you to sign in: run `junction auth login \(server)` (\(detail))"
        }
    }

    /// The JSON-RPC error code this maps to when answered to a client.
    public var code: Int {
        switch self {
        case .unavailable: JSONRPCErrorCode.downstreamUnavailable
        case .timeout: JSONRPCErrorCode.timeout
        case .cancelled: JSONRPCErrorCode.requestCancelled
        case .protocolError: JSONRPCErrorCode.internalError
        case .rejected(_, _, let code, _): code
        case .messageTooLarge: JSONRPCErrorCode.messageTooLarge
        case .authorizationRequired: JSONRPCErrorCode.downstreamUnavailable
        }
    }
}
