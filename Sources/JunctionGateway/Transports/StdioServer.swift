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
        let connection = DescriptorSession(
            engine: engine, target: target, pinned: pinned, readFD: 0, writeFD: 1, isSocket: false,
            maxMessageBytes: maxMessageBytes)
        let (ended, endedContinuation) = AsyncStream<String>.makeStream()
        var signalSources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber)
            source.setEventHandler { endedContinuation.yield("signal \(signalNumber)") }
            source.resume()
            signalSources.append(source)
        }
        // Both cancelled below once the session ends.
        let background = Task { await engine.run() }
        let serving = Task {
            await connection.run()
            endedContinuation.yield("stdin closed")
        }
        for await _ in ended { break }
        await engine.shutdown()
        connection.stop()
        serving.cancel()
        // Lets queued output reach the client before the process exits.
        await serving.value
        background.cancel()
        for source in signalSources { source.cancel() }
    }
}
