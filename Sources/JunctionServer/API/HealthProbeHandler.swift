import Foundation
import HTTPTypes
import JunctionCore
import NIOCore
import NIOHTTPTypes

/// Answers `GET /api/v1/health` on the connection's event loop, before the request reaches the
/// router: no task, no cooperative-pool thread and no database is needed, so health still
/// answers (and says what is stuck, from the ``Watchdog``) when everything else would not.
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
    /// Between the head and the end of a request answered here.
    private var answering = false

    init(health: @escaping @Sendable () -> HealthController.Health) {
        self.health = health
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let request):
            if inFlight == 0, Self.isProbe(request) {
                answering = true
                return
            }
            inFlight += 1
            context.fireChannelRead(data)
        case .body:
            if answering { return }
            context.fireChannelRead(data)
        case .end:
            if answering {
                answering = false
                respond(context: context)
                return
            }
            context.fireChannelRead(data)
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { inFlight = max(0, inFlight - 1) }
        context.write(data, promise: promise)
    }

    private func respond(context: ChannelHandlerContext) {
        let body = (try? APICoding.encoder.encode(health())) ?? Data(#"{"status":"ok"}"#.utf8)
        var response = HTTPResponse(status: .ok)
        response.headerFields[.contentType] = "application/json; charset=utf-8"
        response.headerFields[.cacheControl] = "no-store"
        response.headerFields[.contentLength] = String(body.count)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    static func isProbe(_ request: HTTPRequest) -> Bool {
        guard request.method == .get, let path = request.path else { return false }
        let bare = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        guard bare == "/api/v1/health", request.headerFields[.origin] == nil else { return false }
        // The first Host header is the authority; a second one stays among the fields.
        guard let host = request.authority, !hasSecondHost(request) else { return false }
        return isLoopbackHost(host)
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
