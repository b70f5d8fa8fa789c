/// What went wrong signing in or refreshing. Messages name the server or URL and say what to do;
/// they never hold a token.
public enum OAuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request did not reach the server or got no answer.
    case unreachable(url: String, reason: String)
    /// The server answered, but not what the spec asks for.
    case badResponse(url: String, status: Int, detail: String)
    /// Neither the protected resource nor any authorization server metadata could be found.
    case noMetadata(server: String, tried: [String])
    /// No configured provider matches, the server offers no dynamic registration and no client
    /// metadata document can be used.
    case noClient(issuer: String)
    /// The authorization server refused a request (`invalid_grant`, `invalid_client`, …).
    case refused(error: String, description: String?)
    /// The authorization server sent the user back with an error.
    case denied(error: String, description: String?)
    /// The callback's `state` is not one this process issued (or it expired).
    case unknownState
    /// The user did not finish in time.
    case timedOut(seconds: Int)
    /// Anything else the user must fix (bad input, a server without URL).
    case invalid(String)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason):
            "cannot reach \(url): \(reason)"
        case .badResponse(let url, let status, let detail):
            "\(url) answered HTTP \(status): \(detail)"
        case .noMetadata(let server, let tried):
            "\(server) publishes no OAuth metadata (tried \(tried.joined(separator: ", ")))"
        case .noClient(let issuer):
            "the authorization server \(issuer) offers no dynamic client registration: register an app with it "
                + "and configure it with 'junction oauth-provider add NAME --issuer \(issuer) --client-id ID "
                + "--auth-url URL --token-url URL'"
        case .refused(let error, let description):
            "the authorization server refused: \(error)\(description.map { " (\($0))" } ?? "")"
        case .denied(let error, let description):
            "the authorization server refused the sign-in: \(error)\(description.map { " (\($0))" } ?? "")"
        case .unknownState:
            "unknown or expired sign-in (state does not match): start again with 'junction auth login SERVER'"
        case .timedOut(let seconds):
            "no sign-in arrived within \(seconds) seconds"
        case .invalid(let message):
            message
        }
    }

    /// Whether signing in again is the only remedy (the refresh token is no good).
    public var needsSignIn: Bool {
        switch self {
        case .refused(let error, _): ["invalid_grant", "invalid_client", "unauthorized_client"].contains(error)
        case .denied, .noClient: true
        default: false
        }
    }
}
