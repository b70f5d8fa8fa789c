import Dispatch
import Foundation
import JunctionCore

#if canImport(Glibc)
import Glibc
#endif

/// Serves one MCP session over this process's stdin and stdout until stdin ends or a
/// termination signal arrives, then stops every downstream before returning.
public struct StdioServer: Sendable {
    let engine: GatewayEngine
    let target: ClientTarget
    let pinned: Bool
    let maxMessageBytes: Int

    public init(engine: GatewayEngine, target: ClientTarget, pinned: Bool, maxMessageBytes: Int = 64 * 1024 * 1024) {
        self.engine = engine
        self.target = target
        self.pinned = pinned
        self.maxMessageBytes = maxMessageBytes
    }

    public func run() async throws {
        await engine.prepare()
        let writer = PipeWriter(fd: 1, label: "junction.stdout", closeOnFinish: false)
        let session = engine.makeSession(target: target, pinned: pinned) { bytes in
            writer.write(bytes)
        }
        let (ended, endedContinuation) = AsyncStream<String>.makeStream()
        let framerLimit = maxMessageBytes
        let reader = Thread {
            var framer = LineFramer(maxLineBytes: framerLimit)
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
                if count > 0 {
                    for frame in framer.append(buffer[0..<count]) { session.receive(frame) }
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
            if let last = framer.finish() { session.receive(last) }
            endedContinuation.yield("stdin closed")
        }
        reader.name = "junction.stdin"
        reader.start()

        var signalSources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { endedContinuation.yield("signal \(signalNumber)") }
            source.resume()
            signalSources.append(source)
        }

        // Cancelled below once the session ends.
        let background = Task { await engine.run() }
        for await _ in ended { break }
        session.close()
        await engine.shutdown()
        background.cancel()
        for source in signalSources { source.cancel() }
        // Let queued output reach the client before the process exits.
        writer.drain()
    }
}
