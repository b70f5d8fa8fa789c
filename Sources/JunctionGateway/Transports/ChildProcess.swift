import CJunctionShims
import Foundation
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A downstream server process: spawned in its own process group with pipes for stdin, stdout
/// and stderr (and no other descriptor of Junction's), its pipes served by NIO channels on one
/// event loop — no thread of its own. It dies with Junction: SIGKILL as its parent-death signal,
/// and the guardian (see `junction_children_add`) for the rest of its group.
///
/// Spawning stays on the C shim: swift-subprocess cannot set a parent-death signal from a thread
/// that lives as long as the process, nor promise that exactly descriptors 0-2 cross the exec.
final class ChildProcess: Sendable {
    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    /// What became of a write.
    enum WriteOutcome: Equatable {
        /// Handed to the stdin channel, written as the child reads.
        case queued
        /// Stdin is closed (stopping, or the child exited).
        case closed
        /// Refused: the child has not read what waits for it (`waiting` bytes, the bound reached).
        case full(waiting: Int)
    }

    let pid: pid_t
    let executable: String
    /// The loop of all three pipes: their handlers, the exit and the stop sequence run on it.
    let eventLoop: any EventLoop
    private let stdin: EventLoopFuture<any Channel>
    /// Bytes accepted for stdin and not yet written to the pipe; at most `maxWaitingBytes`, plus
    /// one message when nothing else waits.
    private let waitingBytes = Atomic<Int>(0)
    private let maxWaitingBytes: Int
    private let stdinOpen = Atomic<Bool>(true)
    private let exited = Atomic<Bool>(false)

    /// Starts `command` with exactly `environment`.
    ///
    /// - Parameters:
    ///   - maxWaitingBytes: how much may wait for a child that does not read its stdin before
    ///     writes are refused.
    ///   - configureStdout: adds the handlers that read stdout (bytes in `ByteBuffer`s) to its
    ///     channel's pipeline, on its event loop.
    ///   - onStderr: raw chunks of stderr, in order, on the event loop.
    ///   - onExit: called once, on the event loop, after stdout closed and the process was reaped
    ///     (and stderr closed, or half a second passed), with the wait status.
    init(
        command: String,
        arguments: [String],
        environment: [String: String],
        cwd: String?,
        eventLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.any(),
        maxWaitingBytes: Int,
        configureStdout: @escaping @Sendable (ChannelPipeline.SynchronousOperations) throws -> Void,
        onStderr: @escaping @Sendable (ByteBuffer) -> Void,
        onExit: @escaping @Sendable (Int32) -> Void
    ) throws {
        let executable = try Self.resolve(
            command, path: environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin", cwd: cwd)
        let (pid, stdinFD, stdoutFD, stderrFD) = try Self.spawn(
            executable, command: command, arguments: arguments, environment: environment, cwd: cwd)
        self.pid = pid
        self.executable = executable
        self.eventLoop = eventLoop
        self.maxWaitingBytes = max(1, maxWaitingBytes)

        // A `SelectableEventLoop` is a group of one: all three channels share it.
        stdin = NIOPipeBootstrap(group: eventLoop).takingOwnershipOfDescriptor(output: stdinFD)
        let stdout = NIOPipeBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try configureStdout(channel.pipeline.syncOperations) }
            }
            .takingOwnershipOfDescriptor(input: stdoutFD)
        let stderr = NIOPipeBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ChunkHandler(onChunk: onStderr))
                }
            }
            .takingOwnershipOfDescriptor(input: stderrFD)

        // The exit is reported after stderr is drained too, so errors can quote its last lines;
        // bounded, as a grandchild may keep stderr open after the server itself is gone. A pipe
        // NIO could not take (never seen; its descriptor is then still ours, and left open rather
        // than risk closing a reused one) counts as closed, and the child is stopped.
        let stdoutClosed = stdout.flatMap(\.closeFuture).recover { [pid] _ in _ = kill(-pid, SIGKILL) }
        let stderrClosed = stderr.flatMap(\.closeFuture).recover { _ in }
        // Weak: a process dropped without a stop has its stdin closed by `deinit`, and exits.
        stdoutClosed.whenComplete { [weak self] _ in
            Self.reap(pid, on: eventLoop, retryingIn: .milliseconds(1)) { [weak self] status in
                self?.exited.store(true, ordering: .releasing)
                // Whatever the server left in its group (a grandchild that ignored the end of its
                // input) goes with it; the group's id cannot be reused while any member lives.
                _ = kill(-pid, SIGKILL)
                junction_children_remove(pid)
                self?.closeStdin()
                let reported = NIOLoopBoundBox(false, eventLoop: eventLoop)
                let report: @Sendable () -> Void = {
                    guard !reported.value else { return }
                    reported.value = true
                    onExit(status)
                }
                let deadline = eventLoop.scheduleTask(in: .milliseconds(500), report)
                stderrClosed.whenComplete { _ in
                    deadline.cancel()
                    report()
                }
            }
        }
    }

    deinit {
        closeStdin()
    }

    var hasExited: Bool { exited.load(ordering: .acquiring) }

    /// Queues bytes for the child's stdin. A child that does not read holds Junction to a bound:
    /// once `maxWaitingBytes` wait for it, writes are refused (one message is always taken when
    /// nothing waits, so a message up to the size limit can be sent).
    func write(_ bytes: [UInt8]) -> WriteOutcome {
        guard stdinOpen.load(ordering: .relaxed) else { return .closed }
        let count = bytes.count
        // Reserved before the check, so concurrent writers cannot pass the bound together.
        let waiting = waitingBytes.wrappingAdd(count, ordering: .relaxed).oldValue
        if waiting > 0 && waiting + count > maxWaitingBytes {
            waitingBytes.wrappingSubtract(count, ordering: .relaxed)
            return .full(waiting: waiting)
        }
        let buffer = ByteBuffer(bytes: bytes)
        // Runs at once on the event loop (the usual case: a call resumed by its answer), else
        // from the loop's queue in the order written.
        stdin.whenComplete { [self] result in
            guard case .success(let channel) = result else {
                waitingBytes.wrappingSubtract(count, ordering: .relaxed)
                return
            }
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in self.waitingBytes.wrappingSubtract(count, ordering: .relaxed) }
            channel.writeAndFlush(buffer, promise: written)
        }
        return .queued
    }

    /// Bytes queued for stdin that the pipe has not taken yet.
    var bytesWaiting: Int { waitingBytes.load(ordering: .relaxed) }

    /// Closes stdin (what waits for it is dropped): a well-behaved MCP server exits when its
    /// input ends.
    func closeStdin() {
        guard stdinOpen.exchange(false, ordering: .relaxed) else { return }
        stdin.whenSuccess { $0.close(promise: nil) }
    }

    /// Sends a signal to the child's whole process group, unless it was reaped (its id may be
    /// another process's by now).
    func signal(_ signal: Int32) {
        guard !hasExited else { return }
        _ = kill(-pid, signal)
    }

    /// Reaps `pid` without blocking the loop. Called once stdout closed: an exiting process is
    /// reaped within a few milliseconds; one that closed stdout and lives on is looked at again,
    /// at most every 100 ms, until it ends (its stop sequence runs meanwhile).
    private static func reap(
        _ pid: pid_t, on loop: any EventLoop, retryingIn delay: TimeAmount,
        then done: @escaping @Sendable (Int32) -> Void
    ) {
        var status: Int32 = 0
        var result: pid_t
        repeat {
            result = waitpid(pid, &status, WNOHANG)
        } while result < 0 && errno == EINTR
        guard result == 0 else {
            done(result == pid ? status : 0)  // ECHILD: reaped elsewhere, the status is unknown
            return
        }
        let next = TimeAmount.nanoseconds(min(delay.nanoseconds * 2, TimeAmount.milliseconds(100).nanoseconds))
        loop.scheduleTask(in: delay) { reap(pid, on: loop, retryingIn: next, then: done) }
    }

    /// Spawns `executable` with pipes for 0, 1 and 2: its pid and Junction's ends of the pipes.
    private static func spawn(
        _ executable: String, command: String, arguments: [String], environment: [String: String], cwd: String?
    ) throws -> (pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32) {
        var stdinPipe: [Int32] = [-1, -1]
        var stdoutPipe: [Int32] = [-1, -1]
        var stderrPipe: [Int32] = [-1, -1]
        guard junction_pipe_cloexec(&stdinPipe) == 0, junction_pipe_cloexec(&stdoutPipe) == 0,
            junction_pipe_cloexec(&stderrPipe) == 0
        else {
            let reason = String(cString: strerror(errno))
            for fd in stdinPipe + stdoutPipe + stderrPipe where fd >= 0 { close(fd) }
            throw SpawnError(description: "cannot create pipes: \(reason)")
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
                withOptionalCString(cwd) { cwdPointer in
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
        return (pid, stdinPipe[1], stdoutPipe[0], stderrPipe[0])
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

/// Hands each chunk read to a callback (stderr, which is kept as it comes).
private final class ChunkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let onChunk: @Sendable (ByteBuffer) -> Void

    init(onChunk: @escaping @Sendable (ByteBuffer) -> Void) {
        self.onChunk = onChunk
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onChunk(unwrapInboundIn(data))
    }
}

private func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}

/// Calls `body` with a NULL-terminated C array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return body(pointers)
}
