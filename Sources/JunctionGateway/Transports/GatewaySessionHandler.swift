import JunctionCore
import NIOCore

/// One MCP session on a NIO channel (a client connection on the daemon's unix socket): incoming
/// bytes are framed into lines and handed to the session on the event loop, the session's output
/// is written to the channel.
///
/// Backpressure: while the channel is not writable (a client that does not read its answers has
/// let the outbound buffer pass the high water mark), no more input is read, so the daemon holds
/// at most the answers to requests it has already read.
///
/// The session ends when the client closes its side (after a final unterminated line is
/// handled), when the connection fails, or on `GatewaySessionHandler.Stop` (daemon shutdown).
/// Answers already queued are then written out before the channel closes, for at most
/// `drainTimeout`.
public final class GatewaySessionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// A user inbound event that ends the session from outside (daemon shutdown).
    public struct Stop: Sendable {
        public init() {}
    }

    public let session: GatewaySession
    private var framer: LineFramer
    private let drainTimeout: TimeAmount
    /// A read held back while the channel was not writable.
    private var readHeld = false
    private var ended = false

    /// Creates the session; its output goes to `channel`, from whichever thread produces it.
    public init(
        engine: GatewayEngine, target: ClientTarget, pinned: Bool, channel: any Channel,
        maxMessageBytes: Int = 64 * 1024 * 1024, drainTimeout: TimeAmount = .seconds(10)
    ) {
        self.framer = LineFramer(maxLineBytes: maxMessageBytes)
        self.drainTimeout = drainTimeout
        self.session = engine.makeSession(target: target, pinned: pinned) { bytes in
            channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ended else { return }
        let buffer = unwrapInboundIn(data)
        for frame in framer.append(buffer.readableBytesView) { session.receive(frame) }
    }

    public func read(context: ChannelHandlerContext) {
        guard !ended else { return }
        guard context.channel.isWritable else {
            readHeld = true
            return
        }
        context.read()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, readHeld {
            readHeld = false
            if !ended { context.read() }
        }
        context.fireChannelWritabilityChanged()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let event as ChannelEvent where event == .inputClosed:
            end(context: context)
        case is Stop:
            end(context: context)
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        end(context: context)
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A reset connection or a failed write: the client is gone.
        end(context: context)
        context.close(promise: nil)
    }

    /// Handles what is left of the input, closes the session (cancelling its calls), then closes
    /// the channel once the queued output is written or `drainTimeout` has passed.
    private func end(context: ChannelHandlerContext) {
        guard !ended else { return }
        ended = true
        if let last = framer.finish() { session.receive(last) }
        session.close()
        guard context.channel.isActive else { return }
        let channel = context.channel
        let timeout = context.eventLoop.scheduleTask(in: drainTimeout) { channel.close(promise: nil) }
        // Writes complete in order: once this empty one is done, everything before it is out.
        context.writeAndFlush(wrapOutboundOut(ByteBuffer())).whenComplete { _ in
            timeout.cancel()
            channel.close(promise: nil)
        }
    }
}
