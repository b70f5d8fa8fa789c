import JunctionCore
import JunctionGateway
import NIOCore

/// The first stage of every connection on the daemon's socket: waits for the first line (at most
/// `limit` bytes, within `timeout`), then either answers a hello and hands the connection to a
/// `GatewaySessionHandler`, or, for anything that does not start with `{`, splices the connection
/// to the private API socket. Removes itself once it has decided.
final class SocketHelloHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum State {
        case waiting
        /// The first line is being decided on, or the API socket connected; input is held.
        case deciding
        case done
    }

    private let listener: SocketListener
    private let limit: Int
    private let timeout: TimeAmount
    private var state = State.waiting
    private var received = ByteBuffer()
    private var timer: Scheduled<Void>?
    /// The peer closed its side while the first line was being decided on: the next handler is
    /// told once it is in place.
    private var inputClosed = false

    init(listener: SocketListener, limit: Int = 64 * 1024, timeout: TimeAmount = .seconds(10)) {
        self.listener = listener
        self.limit = limit
        self.timeout = timeout
    }

    func channelActive(context: ChannelHandlerContext) {
        // A silent peer cannot hold the connection forever.
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        received.writeBuffer(&bytes)
        guard case .waiting = state else { return }
        let view = received.readableBytesView
        let newline = view.firstIndex(of: 0x0A)
        guard newline != nil || received.readableBytes >= limit else { return }
        timer?.cancel()
        state = .deciding
        _ = context.channel.setOption(.autoRead, value: false)
        if view.first == UInt8(ascii: "{") {
            let lineLength = newline.map { $0 - view.startIndex } ?? received.readableBytes
            let line = received.readBytes(length: lineLength) ?? []
            if newline != nil { received.moveReaderIndex(forwardBy: 1) }
            hello(context: context, line: line)
        } else if newline.map({ $0 == view.startIndex }) ?? false {
            context.close(promise: nil)
        } else {
            splice(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            switch state {
            case .waiting:
                // The peer ended before a full first line.
                state = .done
                context.close(promise: nil)
                return
            case .deciding:
                inputClosed = true
                return
            case .done:
                break
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        state = .done
        context.close(promise: nil)
    }

    private func hello(context: ChannelHandlerContext, line: [UInt8]) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        listener.decide(helloLine: line, on: context.eventLoop).whenSuccess { decision in
            let (handler, context) = bound.value
            handler.decided(decision, context: context)
        }
    }

    private func decided(_ decision: SocketListener.HelloDecision, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        switch decision {
        case .refuse(let reason, let message):
            refuse(context: context, reason, message)
        case .welcome(let target, let pinned):
            guard let session = listener.openSession(target: target, pinned: pinned, channel: context.channel) else {
                refuse(context: context, .shuttingDown, "the Junction daemon is shutting down")
                return
            }
            let welcome = SocketWelcome(
                junction: .welcome, version: JunctionVersion.current, sessionId: session.session.id)
            context.write(NIOAny(ByteBuffer(bytes: welcome.line)), promise: nil)
            do {
                try context.pipeline.syncOperations.addHandler(session, position: .after(self))
            } catch {
                session.session.close()
                context.close(promise: nil)
                return
            }
            listener.sessionOpened(session.session.id)
            handOver(context: context)
        }
    }

    private func refuse(context: ChannelHandlerContext, _ reason: SocketWelcome.Reason, _ message: String) {
        state = .done
        let answer = SocketWelcome(
            junction: .refused, version: JunctionVersion.current, reason: reason, message: message)
        let channel = context.channel
        context.writeAndFlush(NIOAny(ByteBuffer(bytes: answer.line))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    private func splice(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        listener.connectAPI(on: context.eventLoop).whenComplete { result in
            let (handler, context) = bound.value
            handler.connected(result, context: context)
        }
    }

    private func connected(_ result: Result<any Channel, any Error>, context: ChannelHandlerContext) {
        guard case .success(let upstream) = result else {
            state = .done
            let body = #"{"error":"the admin API is not available","code":"unavailable"}"#
            let response =
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n\r\n\(body)"
            let channel = context.channel
            context.writeAndFlush(NIOAny(ByteBuffer(string: response))).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        guard context.channel.isActive else {
            upstream.close(promise: nil)
            return
        }
        let (toClient, toUpstream) = SpliceHandler.pair()
        do {
            try upstream.pipeline.syncOperations.addHandler(toClient)
            try context.pipeline.syncOperations.addHandler(toUpstream, position: .after(self))
        } catch {
            upstream.close(promise: nil)
            context.close(promise: nil)
            return
        }
        handOver(context: context)
    }

    /// Passes what arrived after the first line on to the next handler, removes this one and
    /// resumes reading.
    private func handOver(context: ChannelHandlerContext) {
        state = .done
        if received.readableBytes > 0 {
            let rest = received
            received = ByteBuffer()
            context.fireChannelRead(wrapInboundOut(rest))
        }
        if inputClosed { context.fireUserInboundEventTriggered(ChannelEvent.inputClosed) }
        context.flush()
        let channel = context.channel
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        _ = channel.setOption(.autoRead, value: true)
    }
}
