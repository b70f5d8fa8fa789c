import Foundation
import JunctionCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One MCP session over a pair of file descriptors: this process's stdin and stdout, or a client
/// connection on the daemon's unix socket. A thread reads and frames lines; replies are written
/// straight to the output descriptor.
public final class DescriptorSession: Sendable {
    public let session: GatewaySession
    private let readFD: Int32
    private let writer: PipeWriter
    private let isSocket: Bool
    private let maxMessageBytes: Int
    private let initialBytes: [UInt8]
    private let stopped = Mutex(false)

    /// `isSocket`: one descriptor both ways, closed when the session ends.
    public init(
        engine: GatewayEngine, target: ClientTarget, pinned: Bool, readFD: Int32, writeFD: Int32, isSocket: Bool,
        maxMessageBytes: Int = 64 * 1024 * 1024, initialBytes: [UInt8] = []
    ) {
        let writer = PipeWriter(fd: writeFD, label: "junction.session.out", closeOnFinish: false)
        self.writer = writer
        self.readFD = readFD
        self.isSocket = isSocket
        self.maxMessageBytes = maxMessageBytes
        self.initialBytes = initialBytes
        self.session = engine.makeSession(target: target, pinned: pinned) { bytes in writer.write(bytes) }
    }

    /// Reads until the input ends or `stop()`, then closes the session (cancelling its calls),
    /// lets queued output drain and, for a socket, closes it.
    public func run() async {
        let (ended, continuation) = AsyncStream<Void>.makeStream()
        let reader = Thread { [self] in
            readLoop()
            continuation.yield()
            continuation.finish()
        }
        reader.name = "junction.session.in"
        reader.start()
        for await _ in ended { break }
        finish()
    }

    /// Ends the session from outside (daemon shutdown): input stops being read.
    public func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        if isSocket { _ = shutdown(readFD, Int32(SHUT_RD)) }
    }

    private func readLoop() {
        var framer = LineFramer(maxLineBytes: maxMessageBytes)
        for frame in framer.append(initialBytes[...]) { session.receive(frame) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while !stopped.withLock({ $0 }) {
            let count = buffer.withUnsafeMutableBytes { read(readFD, $0.baseAddress, $0.count) }
            if count > 0 {
                for frame in framer.append(buffer[0..<count]) { session.receive(frame) }
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                // The output side made the descriptor non-blocking (one socket both ways, or a
                // client that passed one socketpair as stdin and stdout): wait for input.
                var descriptor = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
                _ = poll(&descriptor, 1, -1)
            } else {
                break
            }
        }
        if let last = framer.finish() { session.receive(last) }
    }

    private func finish() {
        session.close()
        writer.drain()
        writer.close()
        if isSocket {
            _ = shutdown(readFD, Int32(SHUT_RDWR))
            _ = Glibc.close(readFD)
        }
    }
}
