import JunctionCore

/// Supplies the credential a remote (HTTP) downstream is called with and renews it.
///
/// The HTTP transport asks for the header before each request it sends and, when the server
/// answers 401, asks once for a renewed one and retries the request with it; the client whose call
/// it was sees nothing of this. Implementations keep one renewal at a time per credential, however
/// many calls are in flight, and never put a token in an error, a log line or an event.
public protocol HTTPAuthorizer: Sendable {
    /// The value of the `Authorization` header to send (`Bearer …`), or nil when no credential is
    /// stored (the request goes without one). A token near its expiry is refreshed first.
    func authorization() async throws -> String?

    /// The server answered 401 to a request sent with `sent` (nil: none was sent); `challenge` is
    /// its `WWW-Authenticate` header. Returns a new header value to retry with once, or nil when
    /// no new credential can be had without the user signing in; the call then fails with
    /// `DownstreamError.authorizationRequired`.
    func renew(challenge: String?, sent: String?) async -> String?
}
