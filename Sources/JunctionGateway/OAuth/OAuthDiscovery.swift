import Foundation

/// Finds how an MCP server is guarded (MCP authorization spec 2025-06-18 / 2025-11-25): its
/// challenge, its protected resource metadata (RFC 9728) and its authorization server's metadata
/// (RFC 8414, then OpenID Connect discovery), each with the spec's well-known fallbacks.
public struct OAuthDiscovery: Sendable {
    public let http: any OAuthHTTP

    public init(http: any OAuthHTTP) {
        self.http = http
    }

    /// What discovery found.
    public struct Result: Sendable, Equatable {
        /// The canonical URI of the MCP server, sent as `resource` (RFC 8707).
        public var resource: String
        public var protectedResource: ProtectedResourceMetadata?
        public var authorizationServer: AuthorizationServerMetadata
        /// The scopes to ask for: the challenge's, else the resource's `scopes_supported`.
        public var scopes: [String]
    }

    /// Runs discovery for the server at `serverURL`. `challenge` is a `WWW-Authenticate` header
    /// already received; without one the server is probed with an unauthenticated `initialize`.
    public func discover(serverURL: String, challenge: String? = nil) async throws(OAuthError) -> Result {
        guard let server = URLComponents(string: serverURL), server.host != nil,
            let scheme = server.scheme?.lowercased(), scheme == "https" || scheme == "http"
        else { throw .invalid("not an http(s) server URL: \(serverURL)") }
        var header = challenge.map(WWWAuthenticate.init(parsing:))
        if header == nil { header = try await probe(serverURL) }
        var tried: [String] = []
        var resourceMetadata: ProtectedResourceMetadata?
        for url in Self.protectedResourceMetadataURLs(serverURL: server, challenge: header) {
            tried.append(url)
            if let found = try await fetchJSON(ProtectedResourceMetadata.self, url),
                !found.authorizationServers.isEmpty
            {
                resourceMetadata = found
                break
            }
        }
        // Without resource metadata (servers of the 2025-03-26 spec) the server's origin is the
        // authorization server.
        let issuer = resourceMetadata?.authorizationServers.first ?? Self.origin(of: server)
        var metadata: AuthorizationServerMetadata?
        for url in Self.authorizationServerMetadataURLs(issuer: issuer) {
            tried.append(url)
            if let found = try await fetchJSON(AuthorizationServerMetadata.self, url) {
                metadata = found
                break
            }
        }
        guard let metadata else { throw .noMetadata(server: serverURL, tried: tried) }
        let scopes =
            header?.scope.map { $0.split(separator: " ").map(String.init) }
            ?? resourceMetadata?.scopesSupported ?? []
        return Result(
            resource: resourceMetadata?.resource ?? Self.canonicalResource(server),
            protectedResource: resourceMetadata, authorizationServer: metadata, scopes: scopes)
    }

    /// Runs OpenID/OAuth discovery on an issuer or provider URL alone.
    public func authorizationServer(issuer: String) async throws(OAuthError) -> AuthorizationServerMetadata {
        let urls = Self.authorizationServerMetadataURLs(issuer: issuer)
        for url in urls {
            if let found = try await fetchJSON(AuthorizationServerMetadata.self, url) { return found }
        }
        throw .noMetadata(server: issuer, tried: urls)
    }

    /// Sends `initialize` without credentials: a 401 carries the challenge.
    func probe(_ serverURL: String) async throws(OAuthError) -> WWWAuthenticate? {
        let body =
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","#
            + #""capabilities":{},"clientInfo":{"name":"junction","version":"oauth-probe"}}}"#
        let response = try await http.send(
            OAuthHTTPRequest(
                method: "POST", url: serverURL,
                headers: [
                    "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                    "MCP-Protocol-Version": "2025-11-25",
                ], body: Array(body.utf8)))
        guard response.status == 401 || response.status == 403, let value = response.headers["www-authenticate"]
        else { return nil }
        return WWWAuthenticate(parsing: value)
    }

    /// Where protected resource metadata is looked for, in order: the challenge's
    /// `resource_metadata`, then `/.well-known/oauth-protected-resource/<path>`, then the root.
    public static func protectedResourceMetadataURLs(serverURL: URLComponents, challenge: WWWAuthenticate?)
        -> [String]
    {
        var urls: [String] = []
        if let fromHeader = challenge?.resourceMetadata, URLComponents(string: fromHeader)?.host != nil {
            urls.append(fromHeader)
        }
        let origin = origin(of: serverURL)
        let path = trimmedPath(serverURL.path)
        if !path.isEmpty { urls.append(origin + "/.well-known/oauth-protected-resource" + path) }
        urls.append(origin + "/.well-known/oauth-protected-resource")
        return uniqued(urls)
    }

    /// Where authorization server metadata is looked for, in the spec's order: for an issuer
    /// with a path, RFC 8414 with the path inserted, OpenID with the path inserted, OpenID with
    /// the path appended; for one without, RFC 8414 then OpenID at the root.
    public static func authorizationServerMetadataURLs(issuer: String) -> [String] {
        guard let components = URLComponents(string: issuer), components.host != nil else { return [] }
        let origin = origin(of: components)
        let path = trimmedPath(components.path)
        if path.isEmpty {
            return [
                origin + "/.well-known/oauth-authorization-server", origin + "/.well-known/openid-configuration",
            ]
        }
        return [
            origin + "/.well-known/oauth-authorization-server" + path,
            origin + "/.well-known/openid-configuration" + path,
            origin + path + "/.well-known/openid-configuration",
        ]
    }

    /// The server URL as a resource indicator: lowercase scheme and host, no fragment, no query.
    public static func canonicalResource(_ url: URLComponents) -> String {
        origin(of: url) + trimmedPath(url.path)
    }

    static func origin(of url: URLComponents) -> String {
        let scheme = url.scheme?.lowercased() ?? "https"
        let host = url.host?.lowercased() ?? ""
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let port = url.port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(bracketed)\(port)"
    }

    private static func trimmedPath(_ path: String) -> String {
        var path = path
        while path.hasSuffix("/") { path.removeLast() }
        return path
    }

    private static func uniqued(_ urls: [String]) -> [String] {
        var seen: Set<String> = []
        return urls.filter { seen.insert($0).inserted }
    }

    /// GETs a JSON document: nil when the server has none there (4xx) or sent something else;
    /// not reaching the server at all is an error.
    private func fetchJSON<T: Decodable>(_ type: T.Type, _ url: String) async throws(OAuthError) -> T? {
        let response = try await http.send(OAuthHTTPRequest(url: url, headers: ["Accept": "application/json"]))
        guard response.isSuccess else { return nil }
        return try? JSONDecoder().decode(T.self, from: Data(response.body))
    }
}
