import CJunctionShims
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A downstream server process: spawned in its own process group with pipes for stdin, stdout
/// and stderr, read by two dedicated threads (blocking reads keep the cooperative pool free) and
/// written through a serial queue so a slow reader never blocks an async caller.
final class ChildProcess: Sendable {
    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    let pid: pid_t
    let executable: String
    private let stdin: PipeWriter
    private let state: Mutex<State>

    private struct State {
        var exited = false
    }

    /// Starts `command` with exactly `environment`.
    ///
    /// - Parameters:
    ///   - onStdout: raw chunks of stdout, in order, from the reader thread.
    ///   - onStderr: raw chunks of stderr, in order, from the stderr thread.
    ///   - onExit: called once, after stdout closed and the process was reaped, with the wait status.
    init(
        command: String,
        arguments: [String],
        environment: [String: String],
        cwd: String?,
        onStdout: @escaping @Sendable ([UInt8]) -> Void,
        onStderr: @escaping @Sendable ([UInt8]) -> Void,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws {
        let executable = try Self.resolve(
            command, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", cwd: cwd)
        self.executable = executable

        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard junction_pipe_cloexec(&stdinPipe) == 0, junction_pipe_cloexec(&stdoutPipe) == 0,
            junction_pipe_cloexec(&stderrPipe) == 0
        else {
            for fd in stdinPipe + stdoutPipe + stderrPipe where fd >= 0 { close(fd) }
            throw SpawnError(description: "cannot create pipes: \(String(cString: strerror(errno)))")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        if let cwd, junction_spawn_file_actions_addchdir(&actions, cwd) != 0 {
            for fd in stdinPipe + stdoutPipe + stderrPipe { close(fd) }
            throw SpawnError(description: "cannot use working directory '\(cwd)'")
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group (so it can be stopped as a whole and no terminal signal reaches it),
        // default signal dispositions (Junction ignores SIGPIPE; the child must not inherit that).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = [executable] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let status = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                posix_spawn(&pid, executable, &actions, &attributes, argvPointers, envPointers)
            }
        }
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard status == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw SpawnError(description: "cannot start '\(command)': \(String(cString: strerror(status)))")
        }
        self.pid = pid
        self.stdin = PipeWriter(fd: stdinPipe[1], label: "junction.child.\(pid).stdin", closeOnFinish: true)
        self.state = Mutex(State())

        let stdoutFD = stdoutPipe[0]
        let stderrFD = stderrPipe[0]
        let childPID = pid
        // The exit is reported after stderr is drained too, so errors can quote its last lines;
        // bounded, as a grandchild may keep stderr open after the server itself is gone.
        let stderrDrained = DispatchSemaphore(value: 0)
        let stdoutThread = Thread {
            Self.readLoop(stdoutFD, onChunk: onStdout)
            var waitStatus: Int32 = 0
            while waitpid(childPID, &waitStatus, 0) < 0 && errno == EINTR {}
            _ = stderrDrained.wait(timeout: .now() + .milliseconds(500))
            onExit(waitStatus)
        }
        stdoutThread.name = "junction.child.\(pid).stdout"
        stdoutThread.start()
        let stderrThread = Thread {
            Self.readLoop(stderrFD, onChunk: onStderr)
            stderrDrained.signal()
        }
        stderrThread.name = "junction.child.\(pid).stderr"
        stderrThread.start()
    }

    deinit {
        closeStdin()
    }

    /// Writes (or queues) bytes for the child's stdin. Returns false when stdin is closed.
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        stdin.write(bytes)
    }

    /// Closes stdin: a well-behaved MCP server exits when its input ends.
    func closeStdin() {
        stdin.close()
    }

    /// Sends a signal to the child's whole process group.
    func signal(_ signal: Int32) {
        guard !state.withLock({ $0.exited }) else { return }
        _ = kill(-pid, signal)
    }

    /// Marks the process reaped, so no signal is sent to a recycled pid.
    func markExited() {
        state.withLock { $0.exited = true }
    }

    private static func readLoop(_ fd: Int32, onChunk: ([UInt8]) -> Void) {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                onChunk(Array(buffer[0..<count]))
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                break
            }
        }
        close(fd)
    }

    /// Finds the executable: a path with a slash is taken as is (relative to `cwd`), a bare name is
    /// looked up in the child's PATH.
    static func resolve(_ command: String, path: String, cwd: String?) throws -> String {
        if command.contains("/") {
            let full =
                command.hasPrefix("/")
                ? command
                : ((cwd ?? FileManager.default.currentDirectoryPath) as NSString)
                    .appendingPathComponent(command)
            guard access(full, X_OK) == 0 else {
                throw SpawnError(description: "cannot start '\(command)': not an executable file")
            }
            return full
        }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(command)"
            var info = stat()
            if stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        throw SpawnError(description: "cannot start '\(command)': not found in PATH (\(path))")
    }
}

/// Calls `body` with a NULL-terminated C array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
