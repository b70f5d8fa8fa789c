import NIOCore

/// The first handler of every daemon connection, on raw bytes, before anything decodes HTTP or
/// negotiates a WebSocket upgrade (which holds back the HTTP handlers until a request head is
/// complete). It registers the connection with the ``ConnectionLimiter`` from accept, closes the
/// one the limiter picks to make room, and closes a connection whose first request head is not
/// complete within `headTimeout` (a slow or silent client). Once a head has arrived the HTTP
/// handlers keep the idle timeout (``ConnectionTrackingHandler`` and Hummingbird's own).
final class ConnectionAdmissionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limiter: ConnectionLimiter
    private let headTimeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// The last bytes seen of a head not yet complete (its end may straddle two reads).
    private var tail: [UInt8] = []
    private static let headEnd: [UInt8] = Array("\r\n\r\n".utf8)

    init(limiter: ConnectionLimiter, headTimeout: TimeAmount) {
        self.limiter = limiter
        self.headTimeout = headTimeout
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
            return
        }
        deadline = context.eventLoop.scheduleTask(in: headTimeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        limiter.closed(context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        limiter.closed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadline != nil, Self.completesHead(unwrapInboundIn(data), after: &tail) {
            deadline?.cancel()
            deadline = nil
            tail = []
        }
        context.fireChannelRead(data)
    }

    /// Whether `bytes` (after `tail`, the end of what came before) contain the blank line that
    /// ends a request head; keeps the last three bytes in `tail` otherwise.
    static func completesHead(_ bytes: ByteBuffer, after tail: inout [UInt8]) -> Bool {
        let window = tail + bytes.readableBytesView
        if window.count >= headEnd.count {
            for start in 0...(window.count - headEnd.count)
            where window[start] == 0x0D && Array(window[start..<start + headEnd.count]) == headEnd {
                return true
            }
        }
        tail = Array(window.suffix(headEnd.count - 1))
        return false
    }
}

@available(*, unavailable)
extension ConnectionAdmissionHandler: Sendable {}
