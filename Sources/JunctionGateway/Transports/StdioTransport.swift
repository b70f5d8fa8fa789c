import Foundation
import JunctionCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A downstream process spoken to over its stdin and stdout, one JSON-RPC message per line;
/// stderr goes to the connection's `StderrLog`.
final class StdioTransport: DownstreamTransport {
    private let command: String
    private let arguments: [String]
    private let environment: [String: String]
    private let cwd: String?
    private let stderr: StderrLog
    private let framer: Mutex<LineFramer>
    private let child = Mutex<ChildProcess?>(nil)
    private let exited = Atomic<Bool>(false)

    init(
        command: String, arguments: [String], environment: [String: String], cwd: String?, stderr: StderrLog,
        maxMessageBytes: Int, oversizedContextBytes: Int
    ) {
        self.command = command
        self.arguments = arguments
        self.environment = environment
        self.cwd = cwd
        self.stderr = stderr
        // The ends of a dropped message are kept to find which request it answered.
        self.framer = Mutex(LineFramer(maxLineBytes: maxMessageBytes, oversizedContextBytes: oversizedContextBytes))
    }

    func start(deliver: @escaping @Sendable (TransportEvent) -> Void) throws {
        let process = try ChildProcess(
            command: command, arguments: arguments, environment: environment, cwd: cwd,
            onStdout: { [weak self] chunk in self?.receive(chunk, deliver: deliver) },
            onStderr: { [stderr] chunk in stderr.append(chunk) },
            onExit: { [weak self] status in
                self?.child.withLock { $0?.markExited() }
                self?.exited.store(true, ordering: .releasing)
                deliver(.closed(reason: Self.describe(status: status)))
            })
        child.withLock { $0 = process }
    }

    var pid: Int32? { child.withLock { $0?.pid } }

    private var isRunning: Bool { !exited.load(ordering: .acquiring) }

    func send(_ message: JSONRPCMessage) {
        var bytes = message.encoded()
        bytes.append(0x0A)
        child.withLock { $0 }?.write(bytes)
    }

    func stop(grace: Duration) {
        guard let process = child.withLock({ $0 }) else { return }
        process.closeStdin()
        guard isRunning else { return }
        // Escalation; ends by itself after two grace periods at most. It holds the transport
        // strongly: the pool drops its reference right after stop(), and a server that ignores its
        // closed stdin must still get SIGTERM and SIGKILL (and be reaped, marked exited) after that.
        Task { [self] in
            try? await Task.sleep(for: grace)
            guard self.isRunning else { return }
            process.signal(SIGTERM)
            try? await Task.sleep(for: grace)
            guard self.isRunning else { return }
            process.signal(SIGKILL)
        }
    }

    func kill() {
        child.withLock { $0 }?.signal(SIGKILL)
    }

    func closeInput() {
        child.withLock { $0 }?.closeStdin()
    }

    func signalGroup(_ signal: Int32) {
        child.withLock { $0 }?.signal(signal)
    }

    private func receive(_ chunk: [UInt8], deliver: @Sendable (TransportEvent) -> Void) {
        let frames = framer.withLock { $0.append(chunk) }
        for frame in frames {
            switch frame {
            case .line(let line):
                deliver(.message(line))
            case .oversized(let size, let head, let tail):
                deliver(.oversized(size: size, head: head, tail: tail))
            }
        }
    }

    static func describe(status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exited with status \((status >> 8) & 0xFF)" }
        return "killed by signal \(signal)"
    }
}
