import AsyncHTTPClient
import Foundation
import JunctionCore
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// A remote MCP server over HTTP: streamable HTTP (2025-03-26 … 2025-11-25), the stateless
/// 2026-07-28 protocol over the same POSTs, or legacy HTTP+SSE (2024-11-05), found by the spec's
/// fallback or pinned by the server's `http_transport`.
///
/// Streamable HTTP: each message is POSTed; a request's answer comes as JSON or as an event stream
/// (read as it arrives, resumed with `Last-Event-ID` when it drops before the response); the
/// `Mcp-Session-Id` of the `initialize` answer is sent back, and `MCP-Protocol-Version` once
/// settled; server-initiated messages come on a GET stream when the server offers one (405: it
/// does not), reopened when it drops; a session the server forgot (404) is initialized again
/// unseen by the connection; closing deletes the session. Legacy: a GET event stream whose
/// `endpoint` event names (on the same origin) where messages are POSTed; answers come on the
/// stream. Credentials: the configured headers, then the authorizer's `Authorization` (renewed once
/// on a 401). A server that cannot be reached ends the transport (the pool restarts it with
/// backoff, as a crashed process); an unusable answer fails only its request, with the method,
/// URL and status in the error.
final class HTTPTransport: DownstreamTransport {
    struct Configuration: Sendable {
        var server: String
        var url: URL
        /// Headers of the server's definition and of its auth scope; sent with every request.
        var headers: [String: String] = [:]
        var flavour: Downstream.HTTPTransport = .auto
        var authorizer: (any HTTPAuthorizer)?
        var maxMessageBytes = 64 * 1024 * 1024
    }

    /// Why an exchange produced no usable answer.
    enum Failure: Error, Sendable {
        /// The answer to this message was unusable (a status, a body); other messages may work.
        case answer(String)
        /// The server wants a credential Junction cannot get without the user.
        case authorization(String)
        /// The server cannot be reached: the transport ends.
        case lost(String)
        case tooLarge(Int)
    }

    private enum Mode: Sendable {
        case undecided
        case streamable
        case legacy(endpoint: URL)
    }

    private struct State {
        var deliver: (@Sendable (TransportEvent) -> Void)?
        var mode: Mode = .undecided
        var sessionId: String?
        var protocolVersion: String?
        /// The `initialize` request as sent, to open a new session when the server forgets ours.
        var initialize: JSONRPCMessage?
        var closedReason: String?
        /// Requests being exchanged, by Junction's id: cancelled with their request.
        var requests: [Int: Task<Void, Never>] = [:]
        /// The GET stream (streamable) or the event stream (legacy).
        var stream: Task<Void, Never>?
        var reinitializing: Task<Void, any Error>?
        var writer: Task<Void, Never>?
        /// Requests whose exchange ended before it was registered in `requests`.
        var endedEarly: Set<Int> = []
    }

    /// Connect timeout; answers are bounded by the call timeout of the connection above, streams by
    /// nothing but their own end (the GET stream may stay quiet for hours).
    static let connectTimeout = TimeAmount.seconds(10)
    /// Longest a notification or a response to the server may take to be accepted.
    static let acceptTimeout = TimeAmount.seconds(30)
    /// Longest the legacy transport waits for its `endpoint` event.
    static let endpointTimeout = Duration.seconds(10)
    static let maxRedirects = 5
    private static let logger = Logger(label: "junction.http")

    /// One client for every remote server: connections are pooled and kept alive per origin.
    /// Redirects are followed here (same origin only), not by the client. It lives as long as the
    /// process and is never shut down.
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: connectTimeout, read: nil))
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    let configuration: Configuration
    private let stderr: StderrLog
    private let state = Mutex(State())
    private let outbox: AsyncStream<JSONRPCMessage>.Continuation
    private let outgoing: AsyncStream<JSONRPCMessage>
    private var server: String { configuration.server }

    init(configuration: Configuration, stderr: StderrLog) {
        self.configuration = configuration
        self.stderr = stderr
        (outgoing, outbox) = AsyncStream.makeStream(of: JSONRPCMessage.self)
    }

    var pid: Int32? { nil }

    func start(deliver: @escaping @Sendable (TransportEvent) -> Void) throws {
        state.withLock { $0.deliver = deliver }
        // The writer: ends when the outbox is finished (close). Notifications and responses are
        // sent one after the other (the server must see `notifications/initialized` before the
        // next request); requests are not waited for, so a slow call never holds another.
        let writer = Task { [weak self, outgoing] in
            for await message in outgoing {
                guard let self else { return }
                if let id = message.id?.intValue, message.kind == .request, !self.isLegacy {
                    self.track(id) { await self.exchange(message) }
                } else {
                    await self.exchange(message)
                }
            }
        }
        state.withLock { $0.writer = writer }
    }

    func send(_ message: JSONRPCMessage) {
        if message.method == "initialize" { state.withLock { $0.initialize = message } }
        if message.method == "notifications/cancelled", let id = message.params?["requestId"]?.intValue, id != 0 {
            // The request's answer is no longer wanted: its stream is closed.
            state.withLock { $0.requests.removeValue(forKey: id) }?.cancel()
        }
        outbox.yield(message)
    }

    func stop(grace: Duration) {
        close(reason: "stopped", deleteSession: true)
    }

    func kill() {
        close(reason: "stopped", deleteSession: false)
    }

    func closeInput() {
        close(reason: "stopped", deleteSession: true)
    }

    func signalGroup(_ signal: Int32) {}

    private var isLegacy: Bool {
        if case .legacy = state.withLock({ $0.mode }) { return true }
        return configuration.flavour == .sse
    }

    /// Runs an exchange as a task cancelled with its request (or by close).
    private func track(_ id: Int, _ body: @escaping @Sendable () async -> Void) {
        // Ends with its exchange; cancelled by the request's notifications/cancelled or by close.
        let task = Task { [weak self] in
            await body()
            self?.state.withLock { state in
                if state.requests.removeValue(forKey: id) == nil { state.endedEarly.insert(id) }
            }
        }
        let closed = state.withLock { state -> Bool in
            guard state.closedReason == nil else { return true }
            if state.endedEarly.remove(id) == nil { state.requests[id] = task }
            return false
        }
        if closed { task.cancel() }
    }

    // MARK: - Exchanges

    /// Sends one message and delivers what answers it; a failure fails the request (or, for a lost
    /// server, the whole transport).
    private func exchange(_ message: JSONRPCMessage) async {
        let requestId = message.kind == .request ? message.id?.intValue : nil
        do {
            if isLegacy {
                try await postLegacy(message)
            } else {
                try await postStreamable(message, requestId: requestId)
            }
        } catch let failure as Failure {
            fail(message, requestId: requestId, failure)
        } catch {
            // Cancelled with its request or by close: nothing is waiting any more.
        }
    }

    private func fail(_ message: JSONRPCMessage, requestId: Int?, _ failure: Failure) {
        switch failure {
        case .lost(let reason):
            close(reason: reason, deleteSession: false)
            return
        case .answer(let text):
            note("\(message.method ?? "answer"): \(text)")
            guard let requestId else { return }
            let response = JSONRPCMessage.errorResponse(
                id: RawJSON(integer: requestId), code: JSONRPCErrorCode.downstreamUnavailable,
                message: "server '\(server)': \(text)")
            emit(.message(response.encoded()))
        case .authorization(let detail):
            note("\(message.method ?? "answer"): \(detail)")
            guard let requestId else { return }
            emit(.failed(id: requestId, error: .authorizationRequired(server: server, detail: detail)))
        case .tooLarge(let bytes):
            guard let requestId else { return }
            emit(
                .failed(
                    id: requestId,
                    error: .messageTooLarge(server: server, bytes: bytes, limit: configuration.maxMessageBytes)))
        }
    }

    private func postStreamable(_ message: JSONRPCMessage, requestId: Int?) async throws {
        var reinitialized = false
        while true {
            // A new session being opened: requests go with it.
            if message.method != "initialize", let opening = state.withLock({ $0.reinitializing }) {
                _ = try? await opening.value
            }
            let session = state.withLock { $0.sessionId }
            // A request's answer is bounded by its deadline in the connection (which cancels this).
            let response = try await execute(
                .POST, configuration.url, body: message.encoded(), accept: "application/json, text/event-stream",
                extra: headers(for: message, session: session),
                deadline: requestId == nil ? .now() + Self.acceptTimeout : .distantFuture)
            let status = response.status
            if (200..<300).contains(status.code) {
                if case .undecided = state.withLock({ $0.mode }) { state.withLock { $0.mode = .streamable } }
                if message.method == "initialize", let id = response.headers.first(name: "mcp-session-id") {
                    state.withLock { $0.sessionId = id }
                }
                try await readAnswer(response, to: message, requestId: requestId, deliver: true)
                if message.method == "notifications/initialized" { openGetStream() }
                return
            }
            if status == .notFound, let session, message.method != "initialize", !reinitialized {
                await drain(response)
                try await reinitialize(replacing: session)
                reinitialized = true
                continue
            }
            if configuration.flavour == .auto, case .undecided = state.withLock({ $0.mode }),
                status == .notFound || status == .methodNotAllowed
                    || (status == .badRequest && message.method == "initialize")
            {
                // The spec's fallback: a server that refuses the POST may speak the 2024-11-05
                // HTTP+SSE transport.
                await drain(response)
                Self.logger.debug(
                    "POST refused; trying the legacy HTTP+SSE transport",
                    metadata: ["junction.downstream": "\(server)", "status": "\(status.code)"])
                try await openLegacy(after: "POST \(Self.display(configuration.url)) answered \(Self.describe(status))")
                try await postLegacy(message)
                return
            }
            throw Failure.answer(await refusal(response, method: "POST", url: configuration.url))
        }
    }

    /// Headers of a POST: the session, the protocol version (the request's own `_meta` one for a
    /// stateless request, else the one `initialize` settled); a stateless (2026-07-28) request
    /// also names its method in `Mcp-Method` and, for `tools/call`, `prompts/get` and
    /// `resources/read`, its subject in `Mcp-Name`, as the server checks them against the body.
    private func headers(for message: JSONRPCMessage, session: String?) -> [(String, String)] {
        var headers: [(String, String)] = []
        if let session { headers.append(("Mcp-Session-Id", session)) }
        let stateless = message.params?["_meta"]?[MCPProtocol.Meta.protocolVersion]?.stringValue
        if let version = stateless ?? state.withLock({ $0.protocolVersion }) {
            headers.append(("MCP-Protocol-Version", version))
        }
        if stateless != nil, let method = message.method {
            headers.append(("Mcp-Method", method))
            if let key = Self.nameBearing[method], let name = message.params?[key]?.stringValue {
                headers.append(("Mcp-Name", Self.headerValue(name)))
            }
        }
        return headers
    }

    /// Headers of a GET stream: the session, the settled protocol version, where to resume.
    private func streamHeaders(session: String?, lastEventId: String?) -> [(String, String)] {
        var headers: [(String, String)] = []
        if let session { headers.append(("Mcp-Session-Id", session)) }
        if let version = state.withLock({ $0.protocolVersion }) { headers.append(("MCP-Protocol-Version", version)) }
        if let lastEventId { headers.append(("Last-Event-ID", lastEventId)) }
        return headers
    }

    /// The params member each method mirrors in `Mcp-Name`.
    static let nameBearing = ["tools/call": "name", "prompts/get": "name", "resources/read": "uri"]

    /// `value` as a header value: as it is when it is visible ASCII (spaces inside allowed), else
    /// `=?base64?…?=` so every byte survives.
    static func headerValue(_ value: String) -> String {
        let plain = value.utf8.allSatisfy { (0x20...0x7E).contains($0) }
        if plain && value.first != " " && value.last != " " && !(value.hasPrefix("=?base64?") && value.hasSuffix("?="))
        {
            return value
        }
        return "=?base64?\(Data(value.utf8).base64EncodedString())?="
    }

    /// Delivers what a 2xx answer carries: a JSON message (or batch), or an event stream read
    /// until it has answered `requestId`. A notification's or response's answer is only drained.
    private func readAnswer(
        _ response: HTTPClientResponse, to message: JSONRPCMessage, requestId: Int?, deliver: Bool
    ) async throws {
        guard let requestId else {
            await drain(response)
            return
        }
        let type = response.headers.first(name: "content-type")?.lowercased() ?? ""
        if type.hasPrefix("text/event-stream") {
            try await readStream(response, requestId: requestId, deliver: deliver)
        } else if type.hasPrefix("application/json") {
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: configuration.maxMessageBytes)
            } catch is NIOTooManyBytesError {
                throw Failure.tooLarge(configuration.maxMessageBytes + 1)
            } catch {
                throw Failure.answer("the answer to POST \(Self.display(configuration.url)) broke off: \(error)")
            }
            let answered = try take(Array(body.readableBytesView), requestId: requestId, deliver: deliver)
            guard answered else {
                throw Failure.answer(
                    "POST \(Self.display(configuration.url)) answered without a response to the request")
            }
        } else {
            let shown = type.isEmpty ? "no content type" : "content type \(type)"
            let text = await snippet(response)
            throw Failure.answer(
                "POST \(Self.display(configuration.url)) answered \(Self.describe(response.status)) with \(shown), "
                    + "not JSON or an event stream" + (text.isEmpty ? "" : ": \(text)"))
        }
    }

    /// Delivers the messages of a JSON body (one message or a batch); true if one answers
    /// `requestId`. A body that is not JSON-RPC fails the request.
    private func take(_ bytes: [UInt8], requestId: Int?, deliver: Bool) throws -> Bool {
        guard let value = try? RawJSON(validating: bytes) else {
            throw Failure.answer(
                "POST \(Self.display(configuration.url)) answered a body that is not JSON: "
                    + Self.printable(bytes.prefix(200)))
        }
        var answered = false
        for element in value.isArray ? value.elements ?? [] : [value] {
            guard case .success(let message) = JSONRPCMessage.parse(element.bytes) else {
                throw Failure.answer(
                    "POST \(Self.display(configuration.url)) answered JSON that is not JSON-RPC: "
                        + Self.printable(element.bytes.prefix(200)))
            }
            if received(message, bytes: element.bytes, requestId: requestId, deliver: deliver) { answered = true }
        }
        return answered
    }

    /// Records what a message settles and delivers it; true if it answers `requestId`.
    private func received(_ message: JSONRPCMessage, bytes: [UInt8], requestId: Int?, deliver: Bool) -> Bool {
        let answers =
            requestId != nil && message.id?.intValue == requestId
            && (message.kind == .response || message.kind == .errorResponse)
        if answers, let version = message.result?["protocolVersion"]?.stringValue,
            state.withLock({ $0.initialize?.id?.intValue == requestId })
        {
            state.withLock { $0.protocolVersion = version }
        }
        if deliver { emit(.message(bytes)) }
        return answers
    }

    /// Reads an event stream that carries the answer to `requestId`, until it does; resumes it
    /// with `Last-Event-ID` (a GET, as the spec says) when it drops before that.
    private func readStream(_ response: HTTPClientResponse, requestId: Int, deliver: Bool) async throws {
        var response = response
        var parser = SSEParser(maxEventBytes: configuration.maxMessageBytes)
        for attempt in 0..<4 {
            if try await readEvents(of: response, parser: &parser, requestId: requestId, deliver: deliver) { return }
            guard let lastEventId = parser.lastEventId else {
                throw Failure.answer(
                    "the event stream answering POST \(Self.display(configuration.url)) ended before the response")
            }
            let delay = min(parser.retry ?? 0, 5000) + attempt * 250
            if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
            response = try await execute(
                .GET, configuration.url, body: nil, accept: "text/event-stream",
                extra: streamHeaders(session: state.withLock { $0.sessionId }, lastEventId: lastEventId))
            guard response.status == .ok else {
                throw Failure.answer(
                    "the event stream answering POST \(Self.display(configuration.url)) dropped, and resuming it "
                        + "failed: " + (await refusal(response, method: "GET", url: configuration.url)))
            }
            parser.finish()
        }
        throw Failure.answer("the event stream answering POST \(Self.display(configuration.url)) kept dropping")
    }

    /// Delivers the events of a stream; true once one answered `requestId` (reading stops there),
    /// false when the stream ended or dropped first.
    private func readEvents(
        of response: HTTPClientResponse, parser: inout SSEParser, requestId: Int?, deliver: Bool
    ) async throws -> Bool {
        do {
            for try await buffer in response.body {
                for event in try parser.feed(buffer.readableBytesView) where event.type == "message" {
                    guard !event.data.isEmpty else { continue }  // a priming event: only its id counts
                    let bytes = Array(event.data.utf8)
                    guard case .success(let message) = JSONRPCMessage.parse(bytes) else {
                        note("ignored an event that is not JSON-RPC: \(Self.printable(bytes.prefix(200)))")
                        continue
                    }
                    if received(message, bytes: bytes, requestId: requestId, deliver: deliver) { return true }
                }
            }
        } catch let error as SSEParser.TooLarge {
            throw Failure.tooLarge(error.limit + 1)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            if Task.isCancelled { throw CancellationError() }
            note("an event stream from \(Self.display(configuration.url)) dropped: \(Self.describe(error))")
        }
        return false
    }

    // MARK: - Sessions

    /// Opens a new session after the server forgot `stale` (a 404): `initialize` as first sent,
    /// `notifications/initialized`, the GET stream again. Concurrent callers share one attempt; a
    /// caller whose session was already replaced returns at once.
    private func reinitialize(replacing stale: String) async throws {
        let task = state.withLock { state -> Task<Void, any Error>? in
            guard state.sessionId == stale else { return nil }
            if let running = state.reinitializing { return running }
            // Awaited by every caller that found the session gone; ends by itself.
            let task = Task { try await self.openNewSession() }
            state.reinitializing = task
            return task
        }
        guard let task else { return }
        do {
            try await task.value
        } catch let failure as Failure {
            state.withLock { $0.reinitializing = nil }
            // Without a session nothing works: the pool starts the server again.
            if case .lost = failure { throw failure }
            throw Failure.lost("the server forgot its session and refused a new one: \(failure)")
        }
        state.withLock { $0.reinitializing = nil }
    }

    private func openNewSession() async throws {
        guard let initialize = state.withLock({ $0.initialize }), let id = initialize.id?.intValue else {
            throw Failure.lost("the server forgot its session (404)")
        }
        // The stale id stays until the new one is known: a request sent meanwhile waits for this.
        state.withLock { state in
            state.stream?.cancel()
            state.stream = nil
        }
        note("the server forgot its session (404); initializing a new one")
        let response = try await execute(
            .POST, configuration.url, body: initialize.encoded(), accept: "application/json, text/event-stream",
            extra: [])
        guard (200..<300).contains(response.status.code) else {
            throw Failure.lost(await refusal(response, method: "POST", url: configuration.url))
        }
        let session = response.headers.first(name: "mcp-session-id")
        state.withLock { $0.sessionId = session }
        try await readAnswer(response, to: initialize, requestId: id, deliver: false)
        let initialized = JSONRPCMessage.notification(method: "notifications/initialized", params: nil)
        let accepted = try await execute(
            .POST, configuration.url, body: initialized.encoded(), accept: "application/json, text/event-stream",
            extra: headers(for: initialized, session: session), deadline: .now() + Self.acceptTimeout)
        guard (200..<300).contains(accepted.status.code) else {
            throw Failure.lost(await refusal(accepted, method: "POST", url: configuration.url))
        }
        await drain(accepted)
        openGetStream()
    }

    /// Opens the GET stream of server-initiated messages, unless one is open.
    private func openGetStream() {
        state.withLock { state in
            guard state.closedReason == nil, state.stream == nil else { return }
            // Ends when the server says it offers none (405), on close, or when a new session opens
            // its own.
            state.stream = Task { [weak self] in await self?.listen() }
        }
    }

    private func listen() async {
        var parser = SSEParser(maxEventBytes: configuration.maxMessageBytes)
        var failures = 0
        while !Task.isCancelled {
            let session = state.withLock { $0.sessionId }
            do {
                let response = try await execute(
                    .GET, configuration.url, body: nil, accept: "text/event-stream",
                    extra: streamHeaders(session: session, lastEventId: parser.lastEventId))
                switch response.status {
                case .ok
                where (response.headers.first(name: "content-type") ?? "").lowercased().hasPrefix(
                    "text/event-stream"):
                    failures = 0
                    parser.finish()
                    _ = try await readEvents(of: response, parser: &parser, requestId: nil, deliver: true)
                case .methodNotAllowed:
                    await drain(response)
                    return  // the server offers no GET stream
                case .notFound where session != nil:
                    await drain(response)
                    state.withLock { $0.stream = nil }
                    try await reinitialize(replacing: session ?? "")
                    return  // the new session opened its own
                default:
                    note("the GET stream: " + (await refusal(response, method: "GET", url: configuration.url)))
                    failures += 1
                }
            } catch is CancellationError {
                return
            } catch let failure as Failure {
                if case .lost(let reason) = failure {
                    close(reason: reason, deleteSession: false)
                    return
                }
                failures += 1
            } catch {
                failures += 1
            }
            if Task.isCancelled { return }
            let backoff = failures == 0 ? (parser.retry ?? 1000) : min(30_000, 500 << min(failures, 6))
            try? await Task.sleep(for: .milliseconds(backoff))
        }
    }

    // MARK: - Legacy HTTP+SSE

    /// Opens the legacy event stream and waits for its `endpoint` event; its other events are the
    /// server's messages. The stream's end ends the transport.
    private func openLegacy(after reason: String? = nil) async throws {
        if case .legacy = state.withLock({ $0.mode }) { return }
        let prefix = reason.map { "\($0); " } ?? ""
        let response: HTTPClientResponse
        do {
            response = try await execute(.GET, configuration.url, body: nil, accept: "text/event-stream", extra: [])
        } catch Failure.lost(let why) {
            throw Failure.lost(prefix + why)
        }
        let type = (response.headers.first(name: "content-type") ?? "").lowercased()
        guard response.status == .ok, type.hasPrefix("text/event-stream") else {
            let refusal = await refusal(response, method: "GET", url: configuration.url)
            throw Failure.answer(prefix + refusal + (response.status == .ok ? " (not an event stream)" : ""))
        }
        let (found, foundContinuation) = AsyncStream.makeStream(of: Result<URL, Failure>.self)
        // Reads the stream for the transport's life: cancelled by close.
        let reader = Task { [weak self] in
            guard let self else { return }
            let reason = await self.readLegacy(response, endpoint: foundContinuation)
            foundContinuation.finish()
            self.close(reason: reason, deleteSession: false)
        }
        state.withLock { $0.stream = reader }
        // Gives up on an endpoint that never comes; ends by itself.
        let timer = Task {
            try await Task.sleep(for: Self.endpointTimeout)
            foundContinuation.yield(
                .failure(
                    .lost(
                        "GET \(Self.display(self.configuration.url)) sent no endpoint event within "
                            + "\(Self.endpointTimeout.components.seconds) s")))
        }
        defer { timer.cancel() }
        var result: Result<URL, Failure> = .failure(.lost("the event stream ended before its endpoint event"))
        for await first in found {
            result = first
            break
        }
        let endpoint = try result.get()
        state.withLock { $0.mode = .legacy(endpoint: endpoint) }
        Self.logger.debug("legacy HTTP+SSE transport", metadata: ["junction.downstream": "\(server)"])
    }

    /// Reads the legacy stream: the first `endpoint` event is resolved (same origin only), the
    /// `message` events delivered. Returns why it ended.
    private func readLegacy(
        _ response: HTTPClientResponse, endpoint: AsyncStream<Result<URL, Failure>>.Continuation
    ) async -> String {
        var parser = SSEParser(maxEventBytes: configuration.maxMessageBytes)
        let url = Self.display(configuration.url)
        do {
            for try await buffer in response.body {
                for event in try parser.feed(buffer.readableBytesView) {
                    if event.type == "endpoint" {
                        guard let resolved = RemoteOrigin.resolve(event.data, against: configuration.url) else {
                            let reason =
                                "GET \(url) named an endpoint off its origin or not a URL (\(Self.printable(Array(event.data.utf8.prefix(200))))); "
                                + "Junction posts only to the server's own origin"
                            endpoint.yield(.failure(.lost(reason)))
                            return reason
                        }
                        endpoint.yield(.success(resolved))
                        continue
                    }
                    guard event.type == "message", !event.data.isEmpty else { continue }
                    let bytes = Array(event.data.utf8)
                    guard case .success(let message) = JSONRPCMessage.parse(bytes) else {
                        note("ignored an event that is not JSON-RPC: \(Self.printable(bytes.prefix(200)))")
                        continue
                    }
                    _ = received(message, bytes: bytes, requestId: message.id?.intValue, deliver: true)
                }
            }
            return "the event stream of GET \(url) ended"
        } catch is SSEParser.TooLarge {
            return "the event stream of GET \(url) sent an event over max_message_bytes"
        } catch {
            return "the event stream of GET \(url) dropped: \(Self.describe(error))"
        }
    }

    private func postLegacy(_ message: JSONRPCMessage) async throws {
        if case .undecided = state.withLock({ $0.mode }) { try await openLegacy() }
        guard case .legacy(let endpoint) = state.withLock({ $0.mode }) else { return }
        let response = try await execute(
            .POST, endpoint, body: message.encoded(), accept: "application/json, text/event-stream", extra: [],
            deadline: .now() + Self.acceptTimeout)
        guard (200..<300).contains(response.status.code) else {
            throw Failure.answer(await refusal(response, method: "POST", url: endpoint))
        }
        await drain(response)
    }

    // MARK: - HTTP

    /// Sends one HTTP request with the configured headers and the authorizer's credential;
    /// follows redirects within the origin; on a 401 asks the authorizer once for a renewed
    /// credential and sends again. Throws `.lost` when the server cannot be reached,
    /// `.authorization` when it wants a sign-in.
    private func execute(
        _ method: HTTPMethod, _ url: URL, body: [UInt8]?, accept: String, extra: [(String, String)],
        deadline: NIODeadline = .distantFuture
    ) async throws -> HTTPClientResponse {
        var authorization: String?
        do {
            authorization = try await configuration.authorizer?.authorization()
        } catch {
            throw Failure.authorization("its credential cannot be read: \(error)")
        }
        var renewed = false
        var target = url
        var redirects = 0
        while true {
            var request = HTTPClientRequest(url: target.absoluteString)
            request.method = method
            for (name, value) in configuration.headers { request.headers.replaceOrAdd(name: name, value: value) }
            request.headers.replaceOrAdd(name: "Accept", value: accept)
            request.headers.replaceOrAdd(name: "User-Agent", value: "junction/\(JunctionVersion.current)")
            for (name, value) in extra { request.headers.replaceOrAdd(name: name, value: value) }
            if let authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
            if let body {
                request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body))
            }
            let response: HTTPClientResponse
            do {
                response = try await Self.client.execute(request, deadline: deadline)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                if Task.isCancelled { throw CancellationError() }
                throw Failure.lost("\(method.rawValue) \(Self.display(target)) failed: \(Self.describe(error))")
            }
            Self.logger.trace(
                "exchange",
                metadata: [
                    "junction.downstream": "\(server)", "method": "\(method.rawValue)",
                    "url": "\(Self.display(target))", "status": "\(response.status.code)",
                ])
            if [301, 302, 303, 307, 308].contains(response.status.code) {
                let location = response.headers.first(name: "location") ?? ""
                await drain(response)
                guard let next = RemoteOrigin.resolve(location, against: target) else {
                    throw Failure.answer(
                        "\(method.rawValue) \(Self.display(target)) answered \(Self.describe(response.status)) to "
                            + "another origin (\(Self.display(URL(string: location)))); Junction follows redirects only "
                            + "within the server's origin: set its URL to the final one")
                }
                // A POST keeps its method and body only on 307 and 308 (RFC 9110).
                guard method == .GET || [307, 308].contains(response.status.code) else {
                    throw Failure.answer(
                        "\(method.rawValue) \(Self.display(target)) answered \(Self.describe(response.status)); "
                            + "set the server's URL to \(Self.display(next))")
                }
                redirects += 1
                guard redirects <= Self.maxRedirects else {
                    throw Failure.answer(
                        "\(method.rawValue) \(Self.display(url)) redirected more than \(Self.maxRedirects) times")
                }
                target = next
                continue
            }
            if response.status == .unauthorized {
                let challenge = response.headers.first(name: "www-authenticate")
                await drain(response)
                let detail = "\(method.rawValue) \(Self.display(target)) answered 401 Unauthorized"
                guard !renewed, let authorizer = configuration.authorizer,
                    let fresh = await authorizer.renew(challenge: challenge, sent: authorization)
                else { throw Failure.authorization(detail) }
                renewed = true
                authorization = fresh
                continue
            }
            return response
        }
    }

    /// "POST https://… answered 502 Bad Gateway: <the start of the body>".
    private func refusal(_ response: HTTPClientResponse, method: String, url: URL) async -> String {
        let text = await snippet(response)
        return "\(method) \(Self.display(url)) answered \(Self.describe(response.status))"
            + (text.isEmpty ? "" : ": \(text)")
    }

    /// The start of a body, printable, for an error message; the rest is dropped.
    private func snippet(_ response: HTTPClientResponse) async -> String {
        var bytes: [UInt8] = []
        do {
            for try await buffer in response.body {
                bytes += buffer.readableBytesView.prefix(300 - bytes.count)
                if bytes.count >= 300 { break }
            }
        } catch {}
        return Self.printable(bytes)
    }

    private func drain(_ response: HTTPClientResponse) async {
        do {
            for try await _ in response.body {}
        } catch {}
    }

    // MARK: - Closing and delivering

    private func emit(_ event: TransportEvent) {
        let deliver = state.withLock { $0.closedReason == nil ? $0.deliver : nil }
        deliver?(event)
    }

    private func close(reason: String, deleteSession: Bool) {
        let closing = state.withLock {
            state -> (deliver: (@Sendable (TransportEvent) -> Void)?, tasks: [Task<Void, Never>], session: String?)? in
            guard state.closedReason == nil else { return nil }
            state.closedReason = reason
            var tasks = Array(state.requests.values)
            tasks += [state.stream, state.writer].compactMap { $0 }
            state.requests.removeAll()
            state.stream = nil
            return (state.deliver, tasks, state.sessionId)
        }
        guard let closing else { return }
        outbox.finish()
        for task in closing.tasks { task.cancel() }
        if reason != "stopped" {
            note("closed: \(reason)")
            Self.logger.warning(
                "remote server lost", metadata: ["junction.downstream": "\(server)", "reason": "\(reason)"])
        }
        if deleteSession, let session = closing.session {
            // The session is deleted on the server; bounded by the accept timeout, holds nothing.
            let url = configuration.url
            let headers = configuration.headers
            let authorizer = configuration.authorizer
            Task {
                var request = HTTPClientRequest(url: url.absoluteString)
                request.method = .DELETE
                for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
                if let value = try? await authorizer?.authorization() {
                    request.headers.replaceOrAdd(name: "Authorization", value: value)
                }
                request.headers.replaceOrAdd(name: "Mcp-Session-Id", value: session)
                if let response = try? await Self.client.execute(request, timeout: Self.acceptTimeout) {
                    _ = try? await response.body.collect(upTo: 1 << 16)
                }
            }
        }
        closing.deliver?(.closed(reason: reason))
    }

    /// A line in the server's log (`junction logs SERVER`), never with a header value.
    private func note(_ text: String) {
        stderr.append(Array("[junction] \(text)\n".utf8))
    }

    // MARK: - Wording

    /// A URL as shown in errors and logs: without its query (which may carry a key) or userinfo.
    static func display(_ url: URL?) -> String {
        guard let url, var components = URLComponents(url: url, resolvingAgainstBaseURL: true) else { return "?" }
        let hadQuery = components.query != nil
        components.query = nil
        components.user = nil
        components.password = nil
        components.fragment = nil
        return (components.string ?? "?") + (hadQuery ? "?…" : "")
    }

    static func describe(_ status: HTTPResponseStatus) -> String {
        "\(status.code) \(status.reasonPhrase)"
    }

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("Connection refused") || text.contains("connectionRefused") { return "connection refused" }
        if let error = error as? HTTPClientError {
            if error == .connectTimeout {
                return "no connection within \(connectTimeout.nanoseconds / 1_000_000_000) s"
            }
            if error == .remoteConnectionClosed { return "the server closed the connection" }
        }
        return String(text.prefix(300))
    }

    static func printable(_ bytes: some Sequence<UInt8>) -> String {
        let text = String(decoding: Array(bytes), as: UTF8.self)
        return String(
            text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) }
        ).trimmingCharacters(in: .whitespaces)
    }
}
