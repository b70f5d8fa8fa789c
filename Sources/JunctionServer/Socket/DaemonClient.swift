import CJunctionShims
import Foundation
import JunctionCore
import JunctionStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `junction stdio`'s side of the daemon's socket: reach the daemon (starting it if none
/// answers), introduce the session with a hello, then pump bytes between stdin/stdout and the
/// socket until either side ends.
public struct DaemonClient: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The session ran through the daemon; `clientEnded` is false if the daemon ended it.
        case served(clientEnded: Bool)
        /// The daemon cannot serve this session; the caller runs the engine in-process.
        case runEmbedded(reason: String)
    }

    public let home: JunctionHome
    /// The `junction` binary to start the daemon with.
    public let executable: String
    /// How long to wait for a daemon this client started.
    public var startTimeout: Duration = .seconds(20)

    public init(home: JunctionHome, executable: String) {
        self.home = home
        self.executable = executable
    }

    /// Serves this process's stdin/stdout through the daemon. Throws only for what the user must
    /// fix (an unknown `--workspace`); otherwise falls back to embedded with a reason.
    public func serveStdio(cwd: String, workspace: String?) throws -> Outcome {
        guard let fd = connectOrStart() else {
            return .runEmbedded(
                reason: "could not reach or start the Junction daemon (see \(home.logsPath)/daemon.log)")
        }
        let hello = SocketHello(version: JunctionVersion.current, cwd: cwd, workspace: workspace, pid: getpid())
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let helloData = try? encoder.encode(hello), SocketIO.writeAll(fd, Array(helloData) + [0x0A]) else {
            close(fd)
            return .runEmbedded(reason: "the Junction daemon closed the connection during the hello")
        }
        SocketIO.setReceiveTimeout(fd, seconds: 30)
        guard let (line, rest) = SocketIO.readLine(fd, limit: 64 * 1024),
            let welcome = try? JSONDecoder().decode(SocketWelcome.self, from: Data(line))
        else {
            close(fd)
            return .runEmbedded(reason: "the Junction daemon did not answer the hello")
        }
        SocketIO.setReceiveTimeout(fd, seconds: 0)
        guard welcome.junction == .welcome else {
            close(fd)
            let message = welcome.message ?? "the Junction daemon refused the session"
            if welcome.reason == .unknownWorkspace { throw DaemonError.unreachable(message) }
            return .runEmbedded(reason: message)
        }
        if !rest.isEmpty, !SocketIO.writeAll(1, rest) {
            close(fd)
            return .served(clientEnded: true)
        }
        let clientEnded = ClientEndFlag()
        let input = Thread {
            SocketIO.pump(from: 0, to: fd, toIsSocket: false)
            clientEnded.set()
            _ = shutdown(fd, Int32(SHUT_WR))
        }
        input.name = "junction.stdin"
        input.start()
        SocketIO.pump(from: fd, to: 1, toIsSocket: false)
        return .served(clientEnded: clientEnded.isSet)
    }

    /// A connected socket: the running daemon's, or one started now.
    func connectOrStart() -> Int32? {
        let path = home.socketPath
        let fd = junction_unix_connect(path)
        if fd >= 0 { return fd }
        guard startDaemon() else { return nil }
        let clock = ContinuousClock()
        let deadline = clock.now + startTimeout
        var pause = Duration.milliseconds(10)
        while clock.now < deadline {
            let fd = junction_unix_connect(path)
            if fd >= 0 { return fd }
            let seconds = Double(pause.components.attoseconds) / 1e18
            Thread.sleep(forTimeInterval: seconds)  // blocking-ok: `junction stdio`'s main thread
            pause = min(pause * 2, .milliseconds(200))
        }
        return nil
    }

    /// Starts `junction serve --auto-started` in a session of its own, detached from this client:
    /// stdin from /dev/null, output to `logs/daemon.log`. Two clients starting at once are fine:
    /// the daemon's lock lets one run, the other exits.
    func startDaemon() -> Bool {
        do {
            try home.ensureExists()
            try FileManager.default.createDirectory(
                atPath: home.logsPath, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            return false
        }
        let logPath = (home.logsPath as NSString).appendingPathComponent("daemon.log")
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else { return false }
        defer { close(log) }
        var options = junction_spawn_options()
        options.stdin_fd = -1  // /dev/null
        options.stdout_fd = log
        options.stderr_fd = log
        // A session of its own: no terminal signal or hang-up of this client reaches it, and it
        // outlives the client (no parent-death signal). It inherits only 0, 1 and 2.
        options.new_session = 1
        let arguments = [executable, "serve", "--auto-started"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var environment = ProcessInfo.processInfo.environment
        environment["JUNCTION_HOME"] = home.path
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        return junction_spawn(executable, &argv, &envp, &options, &pid, nil) == 0
    }
}

/// Set once by the stdin pump when the client's input ended.
private final class ClientEndFlag: Sendable {
    private let value = Mutex(false)

    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
