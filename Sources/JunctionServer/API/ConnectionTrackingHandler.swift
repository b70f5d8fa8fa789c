import NIOCore
import NIOHTTPTypes

/// Tells a ``ConnectionLimiter`` when its connection starts and finishes requests (the
/// connection itself is registered from accept by ``ConnectionAdmissionHandler``). Sits after the
/// HTTP/1 decoder, so a request counts from its complete head: a connection still trickling its
/// head is idle, the first to go.
final class ConnectionTrackingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let limiter: ConnectionLimiter

    init(limiter: ConnectionLimiter) {
        self.limiter = limiter
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { limiter.requestStarted(context.channel) }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { limiter.responseFinished(context.channel) }
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension ConnectionTrackingHandler: Sendable {}
