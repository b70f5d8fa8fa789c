import JunctionCore
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A downstream process spoken to over its stdin and stdout, one JSON-RPC message per line;
/// stderr goes to the connection's `StderrLog`.
///
/// Stdout is framed by a `LineFrameDecoder` in its channel and each message delivered from the
/// event loop; writes go through the stdin channel. A server that stops reading holds at most
/// `maxMessageBytes` (and one message) in Junction: past that, requests fail at once rather than
/// queue without end.
final class StdioTransport: DownstreamTransport {
    private let server: String
    private let command: String
    private let arguments: [String]
    private let environment: [String: String]
    private let cwd: String?
    private let stderr: StderrLog
    private let maxMessageBytes: Int
    private let oversizedContextBytes: Int
    private let eventLoopGroup: any EventLoopGroup
    private let started = Mutex<Started?>(nil)

    private struct Started {
        let process: ChildProcess
        let deliver: @Sendable (TransportEvent) -> Void
    }

    init(
        server: String, command: String, arguments: [String], environment: [String: String], cwd: String?,
        stderr: StderrLog, maxMessageBytes: Int, oversizedContextBytes: Int,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.server = server
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.cwd = cwd
        self.stderr = stderr
        self.maxMessageBytes = maxMessageBytes
        // The ends of a dropped message are kept to find which request it answered.
        self.oversizedContextBytes = oversizedContextBytes
        self.eventLoopGroup = eventLoopGroup
    }

    func start(deliver: @escaping @Sendable (TransportEvent) -> Void) throws {
        let (maxLineBytes, contextBytes, stderr) = (maxMessageBytes, oversizedContextBytes, stderr)
        let process = try ChildProcess(
            command: command, arguments: arguments, environment: environment, cwd: cwd,
            eventLoop: eventLoopGroup.any(), maxWaitingBytes: maxMessageBytes,
            configureStdout: { pipeline in
                try pipeline.addHandler(
                    ByteToMessageHandler(LineFrameDecoder(maxLineBytes: maxLineBytes, contextBytes: contextBytes)))
                try pipeline.addHandler(FrameDelivery(deliver: deliver))
            },
            onStderr: { chunk in stderr.append(Array(chunk.readableBytesView)) },
            onExit: { status in deliver(.closed(reason: Self.describe(status: status))) })
        started.withLock { $0 = Started(process: process, deliver: deliver) }
    }

    private var process: ChildProcess? { started.withLock { $0?.process } }

    var pid: Int32? { process?.pid }

    func send(_ message: JSONRPCMessage) {
        guard let started = started.withLock({ $0 }) else { return }
        var bytes = message.encoded()
        bytes.append(0x0A)
        // A closed stdin fails nothing here: the exit that follows fails every pending request.
        guard case .full(let waiting) = started.process.write(bytes) else { return }
        guard message.kind == .request, let id = message.id?.intValue else { return }
        let reason = "it has not read its input: \(waiting) bytes wait for it, the limit is \(maxMessageBytes)"
        started.deliver(.failed(id: id, error: .unavailable(server: server, reason: reason, stderr: stderr.tail())))
    }

    func stop(grace: Duration) {
        guard let process else { return }
        process.closeStdin()
        guard !process.hasExited else { return }
        // Escalation, on the process's loop; ends by itself after two grace periods at most. It
        // holds the process: the pool drops its reference right after stop(), and a server that
        // ignores its closed stdin must still get SIGTERM and SIGKILL after that.
        let loop = process.eventLoop
        loop.scheduleTask(in: TimeAmount(grace)) {
            guard !process.hasExited else { return }
            process.signal(SIGTERM)
            loop.scheduleTask(in: TimeAmount(grace)) { process.signal(SIGKILL) }
        }
    }

    func kill() {
        process?.signal(SIGKILL)
    }

    func closeInput() {
        process?.closeStdin()
    }

    func signalGroup(_ signal: Int32) {
        process?.signal(signal)
    }

    static func describe(status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        return "killed by signal \(signal)"
    }
}

/// The end of the stdout pipeline: each frame to the connection, in order.
private final class FrameDelivery: ChannelInboundHandler {
    typealias InboundIn = LineFramer.Frame

    private let deliver: @Sendable (TransportEvent) -> Void

    init(deliver: @escaping @Sendable (TransportEvent) -> Void) {
        self.deliver = deliver
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .line(let line):
            deliver(.message(line))
        case .oversized(let size, let head, let tail):
            deliver(.oversized(size: size, head: head, tail: tail))
        }
    }
}
