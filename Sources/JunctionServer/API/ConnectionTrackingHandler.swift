import NIOCore
import NIOHTTPTypes

/// Tells a ``ConnectionLimiter`` when its connection opens, starts and finishes requests, and
/// closes; closes the connection the limiter picks to make room. Sits after the HTTP/1 decoder,
/// so a request counts from its complete head: a connection still trickling its head is idle,
/// the first to go.
final class ConnectionTrackingHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let limiter: ConnectionLimiter

    init(limiter: ConnectionLimiter) {
        self.limiter = limiter
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        switch limiter.opened(channel) {
        case .admitted(let victim?):
            // Thread-safe: the close runs on the victim's own event loop.
            victim.close(promise: nil)
        case .admitted(nil):
            break
        case .refused:
            // After the pipeline is set up: closing from inside it would fail the setup instead.
            context.eventLoop.execute { channel.close(promise: nil) }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        limiter.closed(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        limiter.closed(context.channel)
        context.fireChannelInactive()
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
