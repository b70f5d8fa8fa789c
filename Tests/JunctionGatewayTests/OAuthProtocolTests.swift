import Foundation
import JunctionGateway
import Testing

@Suite("OAuth protocol pieces")
struct OAuthProtocolTests {
    @Test("WWW-Authenticate: the Bearer challenge's resource_metadata, scope and error, among other challenges")
    func challenge() {
        let header = WWWAuthenticate(
            parsing: #"Basic realm="x", Bearer error="invalid_token", "#
                + #"resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", "#
                + #"scope="files:read  files:write", error_description="the \"token\" expired, sorry""#)
        #expect(header.challenges.map(\.scheme) == ["basic", "bearer"])
        #expect(header.challenges[0].parameters == ["realm": "x"])
        #expect(header.resourceMetadata == "https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
        #expect(header.scope == "files:read  files:write")
        #expect(header.error == "invalid_token")
        #expect(header.errorDescription == #"the "token" expired, sorry"#)
        let bare = WWWAuthenticate(parsing: "BEARER")
        #expect(bare.bearer != nil && bare.resourceMetadata == nil)
        #expect(WWWAuthenticate(parsing: "Bearer realm=api,scope=read").scope == "read")
        #expect(WWWAuthenticate(parsing: "Negotiate abc==, Bearer scope=\"a\"").scope == "a")
        #expect(WWWAuthenticate(parsing: "").challenges.isEmpty)
        #expect(WWWAuthenticate(parsing: "Bearer error=\"unterminated").error == "unterminated")
    }

    @Test("PKCE S256 matches RFC 7636's example; verifiers and states are random 43-character strings")
    func pkce() {
        #expect(
            PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
                == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        let tokens = (0..<50).map { _ in PKCE.randomToken() }
        #expect(Set(tokens).count == 50)
        #expect(tokens.allSatisfy { $0.count == 43 && !$0.contains("=") && !$0.contains("+") && !$0.contains("/") })
    }

    @Test("the authorization URL carries PKCE, state, scope and resource, form-encoded")
    func authorizationURL() throws {
        let pkce = PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        let url = try OAuthClient.authorizationURL(
            endpoint: "https://auth.example.com/authorize?tenant=a", clientId: "c 1",
            redirectURI: "http://127.0.0.1:5000/oauth/callback", scopes: ["read", "write"], state: "st",
            pkce: pkce, resource: "https://mcp.example.com/mcp")
        let items = URLComponents(string: url)?.queryItems ?? []
        let query = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(query["tenant"] == "a" && query["response_type"] == "code" && query["client_id"] == "c 1")
        #expect(query["code_challenge"] == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(query["code_challenge_method"] == "S256" && query["state"] == "st")
        #expect(query["scope"] == "read write" && query["resource"] == "https://mcp.example.com/mcp")
        #expect(query["redirect_uri"] == "http://127.0.0.1:5000/oauth/callback")
        #expect(url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Foauth%2Fcallback"))
    }

    @Test("well-known URLs: the header's first, then the path-inserted resource metadata, then the root")
    func resourceMetadataOrder() throws {
        let server = try #require(URLComponents(string: "https://MCP.example.com/api/mcp/"))
        let challenge = WWWAuthenticate(parsing: #"Bearer resource_metadata="https://meta.example.com/prm""#)
        #expect(
            OAuthDiscovery.protectedResourceMetadataURLs(serverURL: server, challenge: challenge) == [
                "https://meta.example.com/prm",
                "https://mcp.example.com/.well-known/oauth-protected-resource/api/mcp",
                "https://mcp.example.com/.well-known/oauth-protected-resource",
            ])
        let root = try #require(URLComponents(string: "http://127.0.0.1:8000"))
        #expect(
            OAuthDiscovery.protectedResourceMetadataURLs(serverURL: root, challenge: nil) == [
                "http://127.0.0.1:8000/.well-known/oauth-protected-resource"
            ])
        #expect(OAuthDiscovery.canonicalResource(server) == "https://mcp.example.com/api/mcp")
    }

    @Test("authorization server metadata: RFC 8414 then OpenID, path inserted before appended")
    func authorizationServerOrder() {
        #expect(
            OAuthDiscovery.authorizationServerMetadataURLs(issuer: "https://auth.example.com/tenant1") == [
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration",
            ])
        #expect(
            OAuthDiscovery.authorizationServerMetadataURLs(issuer: "https://auth.example.com/") == [
                "https://auth.example.com/.well-known/oauth-authorization-server",
                "https://auth.example.com/.well-known/openid-configuration",
            ])
    }

    @Test("discovery follows a 401's challenge, falls back through the well-known URLs and ends at OpenID")
    func discoveryWithFallbacks() async throws {
        let http = FakeOAuthHTTP { request throws(OAuthError) in
            switch request.url {
            case "https://mcp.example.com/mcp":
                return OAuthHTTPResponse(
                    status: 401, headers: ["www-authenticate": #"Bearer scope="notes:read", error="invalid_token""#])
            case "https://mcp.example.com/.well-known/oauth-protected-resource":
                return OAuthHTTPResponse(
                    status: 200,
                    json:
                        #"{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://id.example.com/t1"],"#
                        + #""scopes_supported":["notes:read","notes:write"]}"#)
            case "https://id.example.com/t1/.well-known/openid-configuration":
                return OAuthHTTPResponse(
                    status: 200,
                    json:
                        #"{"issuer":"https://id.example.com/t1","authorization_endpoint":"https://id.example.com/t1/auth","#
                        + #""token_endpoint":"https://id.example.com/t1/token","code_challenge_methods_supported":["S256"]}"#
                )
            default:
                return FakeOAuthHTTP.notFound
            }
        }
        let found = try await OAuthDiscovery(http: http).discover(serverURL: "https://mcp.example.com/mcp")
        #expect(found.resource == "https://mcp.example.com/mcp")
        #expect(found.authorizationServer.tokenEndpoint == "https://id.example.com/t1/token")
        #expect(found.scopes == ["notes:read"])
        #expect(
            http.urls == [
                "https://mcp.example.com/mcp",
                "https://mcp.example.com/.well-known/oauth-protected-resource/mcp",
                "https://mcp.example.com/.well-known/oauth-protected-resource",
                "https://id.example.com/.well-known/oauth-authorization-server/t1",
                "https://id.example.com/.well-known/openid-configuration/t1",
                "https://id.example.com/t1/.well-known/openid-configuration",
            ])
        #expect(http.requests[0].method == "POST" && http.requests[0].headers["Authorization"] == nil)
    }

    @Test("no metadata anywhere is a clear error listing what was tried")
    func noMetadata() async {
        let http = FakeOAuthHTTP { _ throws(OAuthError) in OAuthHTTPResponse(status: 200, body: Array("<html>".utf8)) }
        await #expect(throws: OAuthError.self) {
            try await OAuthDiscovery(http: http).discover(serverURL: "https://plain.example.com/mcp")
        }
        do {
            _ = try await OAuthDiscovery(http: http).discover(serverURL: "https://plain.example.com/mcp")
        } catch {
            #expect(
                error.description.contains("https://plain.example.com/.well-known/oauth-authorization-server")
                    && error.description.contains("publishes no OAuth metadata"))
        }
    }

    @Test("dynamic registration sends Junction's metadata and keeps the client it gets")
    func registration() async throws {
        let http = FakeOAuthHTTP { request throws(OAuthError) in
            OAuthHTTPResponse(
                status: 201,
                json: #"{"client_id":"dyn-1","client_secret":"shh","token_endpoint_auth_method":"client_secret_post"}"#)
        }
        let metadata = AuthorizationServerMetadata(
            issuer: "https://a", authorizationEndpoint: "https://a/authorize", tokenEndpoint: "https://a/token",
            registrationEndpoint: "https://a/register",
            tokenEndpointAuthMethodsSupported: ["client_secret_post", "none"])
        let registered = try await OAuthClient(http: http).register(
            at: "https://a/register", metadata: metadata, redirectURIs: ["http://127.0.0.1:1234/oauth/callback"],
            scopes: ["read"])
        #expect(registered.clientId == "dyn-1" && registered.clientSecret == "shh")
        let body = try #require(
            JSONSerialization.jsonObject(with: Data(http.requests[0].body ?? [])) as? [String: Any])
        #expect(body["redirect_uris"] as? [String] == ["http://127.0.0.1:1234/oauth/callback"])
        #expect(body["token_endpoint_auth_method"] as? String == "none")
        #expect(body["grant_types"] as? [String] == ["authorization_code", "refresh_token"])
        #expect(body["scope"] as? String == "read")

        let refusing = FakeOAuthHTTP { _ throws(OAuthError) in
            OAuthHTTPResponse(status: 400, json: #"{"error":"invalid_redirect_uri"}"#)
        }
        await #expect(throws: OAuthError.refused(error: "invalid_redirect_uri", description: nil)) {
            _ = try await OAuthClient(http: refusing).register(
                at: "https://a/register", metadata: metadata, redirectURIs: ["x"], scopes: [])
        }
    }

    @Test("code exchange and refresh post the right form; refusals and garbage are clear errors")
    func tokenRequests() async throws {
        let http = FakeOAuthHTTP { request throws(OAuthError) in
            let form = FakeOAuthHTTP.form(request)
            switch form["grant_type"] {
            case "authorization_code":
                return OAuthHTTPResponse(
                    status: 200,
                    json: #"{"access_token":"at","token_type":"bearer","expires_in":"3600","refresh_token":"rt"}"#)
            case "refresh_token" where form["refresh_token"] == "revoked":
                return OAuthHTTPResponse(
                    status: 400, json: #"{"error":"invalid_grant","error_description":"refresh token revoked"}"#)
            default:
                return OAuthHTTPResponse(status: 200, body: Array("<html>oops</html>".utf8))
            }
        }
        let client = OAuthClient(http: http)
        let basic = OAuthClient.Credentials(clientId: "cid", clientSecret: "sec", method: "client_secret_basic")
        let answer = try await client.exchange(
            code: "the-code", verifier: "ver", redirectURI: "http://127.0.0.1:9/cb", resource: "https://r/mcp",
            tokenURL: "https://a/token", credentials: basic)
        #expect(answer == TokenResponse(accessToken: "at", tokenType: "bearer", expiresIn: 3600, refreshToken: "rt"))
        let sent = http.requests[0]
        #expect(sent.headers["Authorization"] == "Basic " + Data("cid:sec".utf8).base64EncodedString())
        #expect(
            FakeOAuthHTTP.form(sent) == [
                "grant_type": "authorization_code", "code": "the-code", "redirect_uri": "http://127.0.0.1:9/cb",
                "code_verifier": "ver", "resource": "https://r/mcp",
            ])
        let public_ = OAuthClient.Credentials(clientId: "cid", clientSecret: nil)
        do {
            _ = try await client.refresh(
                refreshToken: "revoked", resource: nil, scopes: [], tokenURL: "https://a/token", credentials: public_)
            Issue.record("a revoked refresh token must fail")
        } catch {
            #expect(
                error == .refused(error: "invalid_grant", description: "refresh token revoked") && error.needsSignIn)
        }
        #expect(FakeOAuthHTTP.form(http.requests[1])["client_id"] == "cid")
        do {
            _ = try await client.refresh(
                refreshToken: "other", resource: nil, scopes: [], tokenURL: "https://a/token", credentials: public_)
            Issue.record("garbage must fail")
        } catch {
            #expect(error.description.contains("not a JSON object with access_token") && !error.needsSignIn)
        }
    }

    @Test("the device flow waits through authorization_pending and slow_down")
    func deviceFlow() async throws {
        let polls = Recording<String>()
        let http = FakeOAuthHTTP { request throws(OAuthError) in
            polls.append(request.url)
            return polls.elements.count < 3
                ? OAuthHTTPResponse(
                    status: 400,
                    json: polls.elements.count == 1 ? #"{"error":"authorization_pending"}"# : #"{"error":"slow_down"}"#)
                : OAuthHTTPResponse(status: 200, json: #"{"access_token":"dev","token_type":"Bearer"}"#)
        }
        let waits = Recording<Duration>()
        let device = DeviceAuthorization(
            deviceCode: "dc", userCode: "ABCD", verificationURI: "https://a/device", expiresIn: 600, interval: 1)
        let answer = try await OAuthClient(http: http).pollDevice(
            device, resource: nil, tokenURL: "https://a/token",
            credentials: .init(clientId: "c", clientSecret: nil), pause: { waits.append($0) })
        #expect(answer.accessToken == "dev")
        #expect(waits.elements == [.seconds(1), .seconds(1), .seconds(6)])
    }

    @Test("refreshes fall due at 80% of a token's life; a wall clock jump past the monotonic one is a wake")
    func scheduleAndWake() {
        let issued = Date(timeIntervalSince1970: 1_000_000)
        let due = OAuthRefresher.refreshAt(issuedAt: issued, expiresAt: issued.addingTimeInterval(3600))
        #expect(due == issued.addingTimeInterval(2880))
        var detector = WakeDetector(tolerance: .seconds(30))
        let start = SuspendingClock.now
        let looks: [(TimeInterval, Duration)] = [
            (0, .zero), (30, .seconds(30)), (70, .seconds(45)), (7270, .seconds(60)), (7300, .seconds(90)),
        ]
        var woke: [Bool] = []
        for (wall, monotonic) in looks {
            woke.append(detector.observe(wall: issued.addingTimeInterval(wall), monotonic: start + monotonic))
        }
        // 25 s of drift is tolerated; two hours of wall time over 15 s of monotonic time is a sleep.
        #expect(woke == [false, false, false, true, false])
    }
}
