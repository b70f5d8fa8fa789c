import Foundation
import HTTPTypes
import JunctionCore
import NIOCore
import NIOHTTPTypes

/// Answers `GET /api/v1/health` (and Open MCP Gateway's `GET /health`, `{"status": "ok"}`) on the
/// connection's event loop, before the request reaches the router: no task, no cooperative-pool
/// thread and no database is needed, so health still answers (and says what is stuck, from the
/// ``Watchdog``) when everything else would not.
///
/// Only a request the access checks would pass anyway is answered here — one loopback `Host`, no
/// `Origin` — and only when no other request of the connection is in flight, so answers keep
/// their order; anything else goes on to the router, which serves the same document.
final class HealthProbeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let health: @Sendable () -> HealthController.Health

    /// Requests passed on whose response has not ended yet.
    private var inFlight = 0
    /// Between the head and the end of a request answered here: which document it asked for.
    private var answering: Probe?

    /// The health documents answered here.
    enum Probe: Equatable {
        /// `/api/v1/health`: the daemon's health document.
        case api
        /// `/health`: Open MCP Gateway's `{"status": "ok"}`.
        case seed
    }

    init(health: @escaping @Sendable () -> HealthController.Health) {
        self.health = health
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let request):
            if inFlight == 0, let probe = Self.probe(request) {
                answering = probe
                return
            }
            inFlight += 1
            context.fireChannelRead(data)
        case .body:
            if answering != nil { return }
            context.fireChannelRead(data)
        case .end:
            if let probe = answering {
                answering = nil
                respond(context: context, probe: probe)
                return
            }
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inFlight = max(0, inFlight - 1) }
        context.write(data, promise: promise)
    }

    private func respond(context: ChannelHandlerContext, probe: Probe) {
        let ok = Data(#"{"status":"ok"}"#.utf8)
        let body = probe == .seed ? ok : (try? APICoding.encoder.encode(health())) ?? ok
        var response = HTTPResponse(status: .ok)
        response.headerFields[.contentType] = "application/json; charset=utf-8"
        response.headerFields[.cacheControl] = "no-store"
        response.headerFields[.contentLength] = String(body.count)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    static func isProbe(_ request: HTTPRequest) -> Bool {
        probe(request) != nil
    }

    /// The health document a request asks for, when it is answered here.
    static func probe(_ request: HTTPRequest) -> Probe? {
        guard request.method == .get, let path = request.path else { return nil }
        let bare = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let probe: Probe
        switch bare {
        case "/api/v1/health": probe = .api
        case "/health": probe = .seed
        default: return nil
        }
        guard request.headerFields[.origin] == nil else { return nil }
        // The first Host header is the authority; a second one stays among the fields.
        guard let host = request.authority, !hasSecondHost(request), isLoopbackHost(host) else { return nil }
        return probe
    }

    private static func hasSecondHost(_ request: HTTPRequest) -> Bool {
        guard let name = HTTPField.Name("Host") else { return true }
        return request.headerFields[name] != nil
    }

    /// A loopback Host, with or without a port, parsed as the router's Host check parses it
    /// (``HostPolicy``); anything else goes through the router's full check.
    static func isLoopbackHost(_ host: String) -> Bool {
        guard let authority = HostPolicy.parseAuthority(host) else { return false }
        return HostPolicy.isLoopback(authority.host)
    }
}
