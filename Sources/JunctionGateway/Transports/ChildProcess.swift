import CJunctionShims
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A downstream server process: spawned in its own process group with pipes for stdin, stdout
/// and stderr (and no other descriptor of Junction's), read by two dedicated threads (blocking
/// reads keep the cooperative pool free) and written through a serial queue so a slow reader
/// never blocks an async caller. It dies with Junction: SIGKILL as its parent-death signal, and
/// the guardian (see `junction_children_add`) for the rest of its group.
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

        let argv = [executable] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var options = junction_spawn_options()
        options.stdin_fd = stdinPipe[0]
        options.stdout_fd = stdoutPipe[1]
        options.stderr_fd = stderrPipe[1]
        // Own process group: it is stopped as a whole, and no terminal signal reaches it. On
        // Linux it also gets SIGKILL if Junction dies (the parent-death signal).
        options.new_process_group = 1
        options.parent_death_signal = SIGKILL
        var pid: pid_t = 0
        var failedStep: Int32 = 0
        let status = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envPointers in
                Self.withOptionalCString(cwd) { cwdPointer in
                    options.cwd = cwdPointer
                    return junction_spawn(executable, argvPointers, envPointers, &options, &pid, &failedStep)
                }
            }
        }
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard status == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            let reason = String(cString: strerror(status))
            if failedStep == Int32(JUNCTION_SPAWN_STEP_CHDIR), let cwd {
                throw SpawnError(description: "cannot use working directory '\(cwd)': \(reason)")
            }
            throw SpawnError(description: "cannot start '\(command)': \(reason)")
        }
        // Recorded until reaped: a daemon that must exit at once kills these groups, and the
        // guardian kills them if the daemon dies without a word.
        junction_children_add(pid)
        self.pid = pid
        self.stdin = PipeWriter(fd: stdinPipe[1], label: "junction.child.\(pid).stdin", closeOnFinish: true)
        self.state = Mutex(State())

        let stdoutFD = stdoutPipe[0]
        let stderrFD = stderrPipe[0]
        let childPID = pid
        // The exit is reported after stderr is drained too, so errors can quote its last lines;
        // bounded, as a grandchild may keep stderr open after the server itself is gone.
        let stderrDrained = DispatchSemaphore(value: 0)  // blocking-ok: the child's stdout thread
        let stdoutThread = Thread {
            Self.readLoop(stdoutFD, onChunk: onStdout)
            var waitStatus: Int32 = 0
            while waitpid(childPID, &waitStatus, 0) < 0 && errno == EINTR {}
            // Whatever the server left in its group (a grandchild that ignored the end of its
            // input) goes with it; the group's id cannot be reused while any member lives.
            _ = kill(-childPID, SIGKILL)
            junction_children_remove(childPID)
            _ = stderrDrained.wait(timeout: .now() + .milliseconds(500))  // blocking-ok: the child's stdout thread
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

    private static func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
        guard let string else { return body(nil) }
        return string.withCString { body($0) }
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
