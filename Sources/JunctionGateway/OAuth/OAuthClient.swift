import Foundation
import JunctionCore

/// The OAuth protocol calls: dynamic client registration (RFC 7591), the authorization URL with
/// PKCE and `resource` (RFC 7636, RFC 8707), the code exchange and refresh (RFC 6749), revocation
/// (RFC 7009) and the device authorization grant (RFC 8628).
public struct OAuthClient: Sendable {
    public let http: any OAuthHTTP

    public init(http: any OAuthHTTP) {
        self.http = http
    }

    /// Who the client is at a token endpoint.
    public struct Credentials: Sendable, Equatable {
        public var clientId: String
        public var clientSecret: String?
        public var method: String

        public init(clientId: String, clientSecret: String?, method: String = "client_secret_post") {
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.method = clientSecret == nil ? "none" : method
        }
    }

    /// A client the authorization server registered for us.
    public struct Registration: Sendable, Equatable {
        public var clientId: String
        public var clientSecret: String?
        public var tokenAuthMethod: String
        public var redirectURIs: [String]
    }

    /// Registers Junction as a public client (or a confidential one when the server accepts no
    /// public clients) with the given redirect URIs.
    public func register(
        at endpoint: String, metadata: AuthorizationServerMetadata, redirectURIs: [String], scopes: [String],
        device: Bool = false
    ) async throws(OAuthError) -> Registration {
        let supported = metadata.tokenEndpointAuthMethodsSupported ?? ["client_secret_basic"]
        let method =
            supported.contains("none")
            ? "none" : supported.contains("client_secret_post") ? "client_secret_post" : "client_secret_basic"
        var body: [String: JSONValue] = [
            "client_name": .string("Junction"),
            "redirect_uris": .array(redirectURIs.map(JSONValue.string)),
            "grant_types": .array(
                ([.string("authorization_code")] + (device ? [.string(Self.deviceGrantType)] : []))
                    + [.string("refresh_token")]),
            "response_types": .array([.string("code")]),
            "token_endpoint_auth_method": .string(method),
        ]
        if !scopes.isEmpty { body["scope"] = .string(scopes.joined(separator: " ")) }
        let encoded = (try? JSONEncoder().encode(JSONValue.object(body))).map(Array.init) ?? []
        let response = try await http.send(
            OAuthHTTPRequest(
                method: "POST", url: endpoint,
                headers: ["Content-Type": "application/json", "Accept": "application/json"],
                body: encoded))
        guard response.isSuccess else {
            throw Self.failure(response, url: endpoint)
        }
        struct Answer: Decodable {
            var client_id: String
            var client_secret: String?
            var token_endpoint_auth_method: String?
            var redirect_uris: [String]?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(response.body)) else {
            throw .badResponse(
                url: endpoint, status: response.status, detail: "the registration answer has no client_id")
        }
        return Registration(
            clientId: answer.client_id, clientSecret: answer.client_secret,
            tokenAuthMethod: answer.token_endpoint_auth_method ?? (answer.client_secret == nil ? "none" : method),
            redirectURIs: answer.redirect_uris ?? redirectURIs)
    }

    static let deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

    /// The URL the user's browser opens.
    public static func authorizationURL(
        endpoint: String, clientId: String, redirectURI: String, scopes: [String], state: String,
        pkce: PKCE, resource: String?
    ) throws(OAuthError) -> String {
        guard var components = URLComponents(string: endpoint) else {
            throw .invalid("the authorization endpoint is not a URL: \(endpoint)")
        }
        var items = components.queryItems ?? []
        items += [
            URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "client_id", value: clientId),
            URLQueryItem(name: "redirect_uri", value: redirectURI),
            URLQueryItem(name: "state", value: state),
            URLQueryItem(name: "code_challenge", value: pkce.challenge),
            URLQueryItem(name: "code_challenge_method", value: PKCE.method),
        ]
        if !scopes.isEmpty { items.append(URLQueryItem(name: "scope", value: scopes.joined(separator: " "))) }
        if let resource { items.append(URLQueryItem(name: "resource", value: resource)) }
        components.percentEncodedQuery = items.map { "\(formEncode($0.name))=\(formEncode($0.value ?? ""))" }
            .joined(separator: "&")
        guard let url = components.string else { throw .invalid("cannot build the authorization URL") }
        return url
    }

    /// Exchanges an authorization code for tokens.
    public func exchange(
        code: String, verifier: String, redirectURI: String, resource: String?, tokenURL: String,
        credentials: Credentials
    ) async throws(OAuthError) -> TokenResponse {
        var form = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("code_verifier", verifier),
        ]
        if let resource { form.append(("resource", resource)) }
        return try await token(tokenURL, form: form, credentials: credentials)
    }

    /// Gets a new access token with a refresh token.
    public func refresh(
        refreshToken: String, resource: String?, scopes: [String], tokenURL: String, credentials: Credentials
    ) async throws(OAuthError) -> TokenResponse {
        var form = [("grant_type", "refresh_token"), ("refresh_token", refreshToken)]
        if let resource { form.append(("resource", resource)) }
        if !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
        return try await token(tokenURL, form: form, credentials: credentials)
    }

    /// Revokes a token (RFC 7009). The server answers 200 for tokens it does not know, too.
    public func revoke(token: String, hint: String, at endpoint: String, credentials: Credentials)
        async throws(OAuthError)
    {
        let request = Self.formRequest(
            endpoint, form: [("token", token), ("token_type_hint", hint)], credentials: credentials)
        let response = try await http.send(request)
        guard response.isSuccess else { throw Self.failure(response, url: endpoint) }
    }

    /// Starts a device authorization (RFC 8628 §3.1).
    public func deviceAuthorization(
        at endpoint: String, scopes: [String], resource: String?, credentials: Credentials
    ) async throws(OAuthError) -> DeviceAuthorization {
        var form: [(String, String)] = []
        if !scopes.isEmpty { form.append(("scope", scopes.joined(separator: " "))) }
        if let resource { form.append(("resource", resource)) }
        let response = try await http.send(Self.formRequest(endpoint, form: form, credentials: credentials))
        guard response.isSuccess else { throw Self.failure(response, url: endpoint) }
        guard let answer = try? JSONDecoder().decode(DeviceAuthorization.self, from: Data(response.body)) else {
            throw .badResponse(
                url: endpoint, status: response.status, detail: "not a device authorization answer")
        }
        return answer
    }

    /// Polls the token endpoint for a device code until the user approves, refuses, or the code
    /// expires (`authorization_pending` waits, `slow_down` waits 5 s longer).
    public func pollDevice(
        _ device: DeviceAuthorization, resource: String?, tokenURL: String, credentials: Credentials,
        pause: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async throws(OAuthError) -> TokenResponse {
        var interval = max(device.interval ?? 5, 1)
        let deadline = ContinuousClock.now + .seconds(device.expiresIn)
        var form = [("grant_type", Self.deviceGrantType), ("device_code", device.deviceCode)]
        if let resource { form.append(("resource", resource)) }
        while ContinuousClock.now < deadline {
            do { try await pause(.seconds(interval)) } catch { throw .timedOut(seconds: Int(device.expiresIn)) }
            do {
                return try await token(tokenURL, form: form, credentials: credentials)
            } catch .refused(let error, _) where error == "authorization_pending" {
                continue
            } catch .refused(let error, _) where error == "slow_down" {
                interval += 5
            }
        }
        throw .timedOut(seconds: Int(device.expiresIn))
    }

    private func token(_ url: String, form: [(String, String)], credentials: Credentials)
        async throws(OAuthError) -> TokenResponse
    {
        let response = try await http.send(Self.formRequest(url, form: form, credentials: credentials))
        guard response.isSuccess else { throw Self.failure(response, url: url) }
        do {
            let answer = try JSONDecoder().decode(TokenResponse.self, from: Data(response.body))
            guard !answer.accessToken.isEmpty else { throw OAuthError.invalid("empty access_token") }
            if let type = answer.tokenType, type.lowercased() != "bearer" {
                throw OAuthError.badResponse(
                    url: url, status: response.status, detail: "token type '\(type)' is not Bearer")
            }
            return answer
        } catch let error as OAuthError {
            throw error
        } catch {
            throw .badResponse(
                url: url, status: response.status, detail: "the token answer is not a JSON object with access_token")
        }
    }

    /// A form POST with the client's credentials in the body or as HTTP Basic.
    static func formRequest(_ url: String, form: [(String, String)], credentials: Credentials) -> OAuthHTTPRequest {
        var form = form
        var headers = [
            "Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
        ]
        switch (credentials.method, credentials.clientSecret) {
        case ("client_secret_basic", let secret?):
            let pair = "\(formEncode(credentials.clientId)):\(formEncode(secret))"
            headers["Authorization"] = "Basic " + Data(pair.utf8).base64EncodedString()
        case (_, let secret?):
            form += [("client_id", credentials.clientId), ("client_secret", secret)]
        case (_, nil):
            form.append(("client_id", credentials.clientId))
        }
        let body = form.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        return OAuthHTTPRequest(method: "POST", url: url, headers: headers, body: Array(body.utf8))
    }

    /// An error answer as an `OAuthError`: the OAuth `error` code when the body has one.
    static func failure(_ response: OAuthHTTPResponse, url: String) -> OAuthError {
        struct ErrorAnswer: Decodable {
            var error: String
            var error_description: String?
        }
        if let answer = try? JSONDecoder().decode(ErrorAnswer.self, from: Data(response.body)) {
            return .refused(error: answer.error, description: answer.error_description.map { String($0.prefix(300)) })
        }
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
            .replacingOccurrences(of: "\n", with: " ")
        return .badResponse(url: url, status: response.status, detail: text.isEmpty ? "no body" : text)
    }

    /// `application/x-www-form-urlencoded` encoding: everything but unreserved characters escaped.
    public static func formEncode(_ text: String) -> String {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
