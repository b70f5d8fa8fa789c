import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JunctionCore
import JunctionStore
import NIOCore
import Synchronization
import Testing

@testable import JunctionGateway

/// The HTTP downstream transport against a small streamable-HTTP MCP server served in process
/// (Hummingbird on a loopback port): credentials renewed once on a 401, answers as JSON and as
/// event streams, a forgotten session opened again, and a sign-in that is needed never taken for
/// a crash.
@Suite("HTTPTransport")
struct HTTPTransportTests {
    /// What the fake server saw and how it behaves.
    final class FakeRemote: Sendable {
        struct State {
            var accepted: Set<String> = ["Bearer good"]
            var authorizations: [String?] = []
            var initializes = 0
            var sessions: Set<String> = []
            var protocolVersions: [String?] = []
            var dropped: RawJSON?
        }
        let state = Mutex(State())

        func forgetSessions() { state.withLock { $0.sessions.removeAll() } }

        func router() -> Router<BasicRequestContext> {
            let router = Router()
            router.get("mcp") { request, _ -> Response in
                // Only the resumption of a dropped answer stream is offered.
                guard request.headers[HTTPField.Name("Last-Event-ID")!] == "5",
                    let id = self.state.withLock({ $0.dropped })
                else { return Response(status: .methodNotAllowed) }
                let answer = JSONRPCMessage.response(id: id, result: RawJSON(object: [("resumed", .true)]))
                return Response(
                    status: .ok, headers: [.contentType: "text/event-stream"],
                    body: ResponseBody(byteBuffer: ByteBuffer(string: "id: 6\ndata: \(answer.description)\n\n")))
            }
            router.post("moved") { _, _ in Response(status: .temporaryRedirect, headers: [.location: "/mcp"]) }
            router.post("away") { _, _ in
                Response(status: .temporaryRedirect, headers: [.location: "http://elsewhere.invalid/mcp"])
            }
            router.delete("mcp") { _, _ in Response(status: .ok) }
            router.post("mcp") { request, _ -> Response in
                let authorization = request.headers[.authorization]
                let session = request.headers[HTTPField.Name("Mcp-Session-Id")!]
                let version = request.headers[HTTPField.Name("MCP-Protocol-Version")!]
                let body = try await request.body.collect(upTo: 1 << 20)
                guard case .success(let message) = JSONRPCMessage.parse(Array(body.readableBytesView)) else {
                    return Response(status: .badRequest)
                }
                let allowed = self.state.withLock { state -> Bool in
                    state.authorizations.append(authorization)
                    state.protocolVersions.append(version)
                    return authorization.map(state.accepted.contains) ?? false
                }
                guard allowed else {
                    return Response(
                        status: .unauthorized, headers: [.wwwAuthenticate: #"Bearer resource_metadata="x""#])
                }
                if message.method == "initialize" {
                    let id = self.state.withLock { state -> String in
                        state.initializes += 1
                        let id = "session-\(state.initializes)"
                        state.sessions.insert(id)
                        return id
                    }
                    let result = RawJSON(object: [
                        ("protocolVersion", RawJSON(string: "2025-06-18")), ("capabilities", .emptyObject),
                        ("serverInfo", RawJSON(object: [("name", RawJSON(string: "fake"))])),
                    ])
                    return Self.json(.response(id: message.id ?? .null, result: result), session: id)
                }
                guard let session, self.state.withLock({ $0.sessions.contains(session) }) else {
                    return Response(status: .notFound)
                }
                guard message.kind == .request, let id = message.id else { return Response(status: .accepted) }
                switch message.method {
                case "tools/call" where message.params?["name"]?.stringValue == "drop":
                    // The stream ends after a priming event, before the answer: resumed by a GET.
                    self.state.withLock { $0.dropped = id }
                    return Response(
                        status: .ok, headers: [.contentType: "text/event-stream"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: "id: 5\nretry: 10\ndata: \n\n")))
                case "tools/call":
                    // An event stream: a progress notification, then the answer, split mid-event.
                    let token = message.params?["_meta"]?["progressToken"] ?? .null
                    let progress = JSONRPCMessage.notification(
                        method: "notifications/progress",
                        params: RawJSON(object: [("progressToken", token), ("progress", RawJSON(integer: 1))]))
                    let answer = JSONRPCMessage.response(
                        id: id, result: RawJSON(object: [("content", RawJSON(array: []))]))
                    let text =
                        ": hello\r\nid: 1\r\ndata: \(progress.description)\r\n\r\nid: 2\ndata: \(answer.description)\n\n"
                    return Response(
                        status: .ok, headers: [.contentType: "text/event-stream"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
                default:
                    return Self.json(.response(id: id, result: .emptyObject), session: nil)
                }
            }
            return router
        }

        static func json(_ message: JSONRPCMessage, session: String?) -> Response {
            var headers: HTTPFields = [.contentType: "application/json"]
            if let session { headers[HTTPField.Name("Mcp-Session-Id")!] = session }
            return Response(
                status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: message.encoded())))
        }
    }

    /// An authorizer that starts with `current` and renews to each of `renewals` in turn.
    final class TestAuthorizer: HTTPAuthorizer {
        struct State {
            var current: String?
            var renewals: [String?]
            var challenges: [String?] = []
            var sent: [String?] = []
        }
        let state: Mutex<State>

        init(current: String?, renewals: [String?]) {
            state = Mutex(State(current: current, renewals: renewals))
        }

        func authorization() async throws -> String? { state.withLock { $0.current } }

        func renew(challenge: String?, sent: String?) async -> String? {
            state.withLock { state in
                state.challenges.append(challenge)
                state.sent.append(sent)
                let next = state.renewals.isEmpty ? nil : state.renewals.removeFirst()
                if let next { state.current = next }
                return next
            }
        }
    }

    private func withRemote(
        _ body: @Sendable (FakeRemote, URL) async throws -> Void
    ) async throws {
        let remote = FakeRemote()
        let app = Application(router: remote.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(remote, try #require(URL(string: "http://127.0.0.1:\(port)/mcp")))
        }
    }

    private func connection(_ url: URL, authorizer: (any HTTPAuthorizer)?) throws -> DownstreamConnection {
        let stderr = StderrLog(logPath: nil)
        let transport = HTTPTransport(
            configuration: .init(server: "remote", url: url, flavour: .streamableHTTP, authorizer: authorizer),
            stderr: stderr)
        return try DownstreamConnection(
            server: "remote", transport: transport, stderr: stderr, maxMessageBytes: 1 << 20, handlers: .init())
    }

    private static let initializeParams = RawJSON(object: [
        ("protocolVersion", RawJSON(string: "2025-06-18")), ("capabilities", .emptyObject),
    ])

    @Test("a 401 is renewed once and the request sent again, unseen by the caller")
    func renewsOnce() async throws {
        try await withRemote { remote, url in
            let authorizer = TestAuthorizer(current: "Bearer stale", renewals: ["Bearer good"])
            let connection = try connection(url, authorizer: authorizer)
            defer { connection.kill() }
            let answer = try await connection.request(
                "initialize", params: Self.initializeParams, timeout: .seconds(10))
            #expect(answer.result?["protocolVersion"]?.stringValue == "2025-06-18")
            let seen = remote.state.withLock { $0.authorizations }
            #expect(seen == ["Bearer stale", "Bearer good"])
            let asked = authorizer.state.withLock { ($0.challenges, $0.sent) }
            #expect(asked.0 == [#"Bearer resource_metadata="x""#] && asked.1 == ["Bearer stale"])
            // The session and the settled version go with the next request.
            _ = try await connection.request("tools/list", params: nil, timeout: .seconds(10))
            #expect(remote.state.withLock { $0.protocolVersions.last } == "2025-06-18")
        }
    }

    @Test("a renewal that fails again is not retried twice; no renewal means a sign-in is needed")
    func signInNeeded() async throws {
        try await withRemote { remote, url in
            for renewals in [["Bearer also-bad"], [nil]] as [[String?]] {
                remote.state.withLock { $0.authorizations.removeAll() }
                let authorizer = TestAuthorizer(current: "Bearer stale", renewals: renewals)
                let connection = try connection(url, authorizer: authorizer)
                defer { connection.kill() }
                do {
                    _ = try await connection.request("initialize", params: Self.initializeParams, timeout: .seconds(10))
                    Issue.record("the request succeeded without a valid credential")
                } catch let error as DownstreamError {
                    guard case .authorizationRequired(let server, _) = error else {
                        Issue.record("unexpected error \(error)")
                        continue
                    }
                    #expect(server == "remote")
                    #expect(error.description.contains("junction auth login remote"))
                    #expect(!error.description.contains("Bearer"))
                }
                let expected = renewals == [nil] ? 1 : 2
                #expect(remote.state.withLock { $0.authorizations.count } == expected)
                #expect(connection.isRunning, "a refused credential fails the call, not the connection")
            }
        }
    }

    @Test("an event-stream answer delivers the progress before the response")
    func streamedAnswer() async throws {
        try await withRemote { _, url in
            let connection = try connection(url, authorizer: TestAuthorizer(current: "Bearer good", renewals: []))
            defer { connection.kill() }
            _ = try await connection.request("initialize", params: Self.initializeParams, timeout: .seconds(10))
            let progress = Mutex<[RawJSON]>([])
            let answer = try await connection.request(
                "tools/call", params: RawJSON(object: [("name", RawJSON(string: "x"))]), timeout: .seconds(10),
                onProgress: { params in progress.withLock { $0.append(params) } })
            #expect(answer.kind == .response && answer.result?["content"] != nil)
            #expect(progress.withLock { $0.count } == 1)
        }
    }

    @Test("an answer stream that drops before the response is resumed with Last-Event-ID")
    func resumes() async throws {
        try await withRemote { _, url in
            let connection = try connection(url, authorizer: TestAuthorizer(current: "Bearer good", renewals: []))
            defer { connection.kill() }
            _ = try await connection.request("initialize", params: Self.initializeParams, timeout: .seconds(10))
            let answer = try await connection.request(
                "tools/call", params: RawJSON(object: [("name", RawJSON(string: "drop"))]), timeout: .seconds(10))
            #expect(answer.result?["resumed"]?.boolValue == true)
        }
    }

    @Test("redirects are followed within the origin only, and one elsewhere is named in the error")
    func redirects() async throws {
        try await withRemote { _, url in
            let authorizer = TestAuthorizer(current: "Bearer good", renewals: [])
            let moved = try connection(url.deletingLastPathComponent().appending(path: "moved"), authorizer: authorizer)
            defer { moved.kill() }
            let answer = try await moved.request("initialize", params: Self.initializeParams, timeout: .seconds(10))
            #expect(answer.kind == .response)
            let away = try connection(url.deletingLastPathComponent().appending(path: "away"), authorizer: authorizer)
            defer { away.kill() }
            let refused = try await away.request("initialize", params: Self.initializeParams, timeout: .seconds(10))
            let message = refused.errorMessage ?? ""
            #expect(message.contains("server 'remote'") && message.contains("elsewhere.invalid"), "\(message)")
            #expect(message.contains("/away answered 307"), "\(message)")
        }
    }

    @Test("a session the server forgot (404) is opened again and the request answered")
    func reinitializes() async throws {
        try await withRemote { remote, url in
            let connection = try connection(url, authorizer: TestAuthorizer(current: "Bearer good", renewals: []))
            defer { connection.kill() }
            _ = try await connection.request("initialize", params: Self.initializeParams, timeout: .seconds(10))
            connection.notify("notifications/initialized", params: nil)
            remote.forgetSessions()
            // Several at once: one new session serves them all.
            try await withThrowingTaskGroup(of: JSONRPCMessage.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await connection.request("tools/list", params: nil, timeout: .seconds(10)) }
                }
                for try await answer in group { #expect(answer.kind == .response) }
            }
            #expect(remote.state.withLock { $0.initializes } == 2)
        }
    }

    @Test("the pool takes a needed sign-in for what it is: no crash, no backoff")
    func poolSignIn() async throws {
        try await withRemote { remote, url in
            let directory = try TemporaryDirectory()
            let pool = DownstreamPool(home: JunctionHome(path: directory.path)) { _ in .init(env: [:], headers: [:]) }
            var hooks = DownstreamPool.Hooks()
            hooks.authorizer = { _, _ in TestAuthorizer(current: nil, renewals: []) }
            await pool.setHooks(hooks)
            let downstream = Downstream(
                name: "remote", transport: .http, url: url.absoluteString, httpTransport: .streamableHTTP)
            for _ in 0..<3 {
                do {
                    _ = try await pool.instance(for: downstream, authScopeId: nil, sessionId: nil)
                    Issue.record("started without a credential")
                } catch DownstreamError.authorizationRequired(let server, _) {
                    #expect(server == "remote")
                }
            }
            let status = await pool.status(of: downstream)
            #expect(status.crashes == 0 && status.state == "stopped")
            #expect(remote.state.withLock { $0.authorizations.allSatisfy { $0 == nil } })
            await pool.shutdown()
        }
    }
}
