import NIOCore

/// One end of a splice between two channels on the same event loop: what one channel reads, the
/// other writes. Reading stops while the other side cannot take more (backpressure); a side that
/// ends its input half-closes the other's output, and a side that closes closes the other.
/// `ended`, when given, is succeeded once this side's input ended and what it sent was written.
final class SpliceHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: SpliceHandler?
    private var context: ChannelHandlerContext?
    private var readHeld = false
    private let ended: EventLoopPromise<Void>?

    private init(ended: EventLoopPromise<Void>?) {
        self.ended = ended
    }

    /// Two handlers joined to each other, one for each channel.
    static func pair(
        firstEnded: EventLoopPromise<Void>? = nil, secondEnded: EventLoopPromise<Void>? = nil
    ) -> (SpliceHandler, SpliceHandler) {
        let first = SpliceHandler(ended: firstEnded)
        let second = SpliceHandler(ended: secondEnded)
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.context?.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        partner?.context?.flush()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.resumeReading() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if let partnerChannel = partner?.context?.channel, !partnerChannel.isWritable {
            readHeld = true
        } else {
            context.read()
        }
    }

    private func resumeReading() {
        guard readHeld, let context else { return }
        readHeld = false
        context.read()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            if let partnerContext = partner?.context {
                // Once what this side sent is written (closing the output of a channel whose
                // input is already closed would close it whole, dropping queued writes).
                let channel = partnerContext.channel
                let ended = ended
                partnerContext.writeAndFlush(NIOAny(ByteBuffer())).whenComplete { _ in
                    channel.close(mode: .output, promise: nil)
                    ended?.succeed()
                }
            } else {
                ended?.succeed()
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let other = partner
        partner = nil
        other?.partner = nil
        // What this side sent is still written out before the other closes.
        if let otherContext = other?.context {
            let channel = otherContext.channel
            let ended = ended
            otherContext.writeAndFlush(NIOAny(ByteBuffer())).whenComplete { _ in
                channel.close(promise: nil)
                ended?.succeed()
            }
        } else {
            ended?.succeed()
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
