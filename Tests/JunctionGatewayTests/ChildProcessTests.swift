import Foundation
import NIOCore
import Synchronization
import Testing

@testable import JunctionGateway

#if canImport(Glibc)
import Glibc
#endif

@Suite("ChildProcess")
struct ChildProcessTests {
    /// What a child wrote and how it ended.
    final class Run: Sendable {
        let output = Mutex<[UInt8]>([])
        let status = Mutex<Int32?>(nil)

        var text: String { String(decoding: output.withLock { $0 }, as: UTF8.self) }
        var exited: Bool { status.withLock { $0 != nil } }
    }

    /// Keeps what the child writes on stdout.
    final class Collect: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let run: Run

        init(_ run: Run) {
            self.run = run
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let chunk = unwrapInboundIn(data)
            run.output.withLock { $0.append(contentsOf: chunk.readableBytesView) }
        }
    }

    private func start(
        _ command: String, _ arguments: [String], run: Run, maxWaitingBytes: Int = 1 << 20
    ) throws -> ChildProcess {
        try ChildProcess(
            command: command, arguments: arguments, environment: ["PATH": "/usr/bin:/bin"], cwd: nil,
            maxWaitingBytes: maxWaitingBytes,
            configureStdout: { pipeline in try pipeline.addHandler(Collect(run)) },
            onStderr: { _ in },
            onExit: { status in run.status.withLock { $0 = status } })
    }

    #if os(Linux)
    @Test("a child inherits exactly 0, 1 and 2, whatever else the process holds open")
    func descriptorHygiene() async throws {
        let directory = try TemporaryDirectory()
        // Descriptors opened the careless way, and then made explicitly inheritable: a file...
        let leakedPath = directory.file("leaked.txt")
        let file = open(leakedPath, O_RDWR | O_CREAT, 0o600)
        try #require(file >= 0)
        defer { close(file) }
        // ...and a listening TCP socket, as a server library would hold one.
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        try #require(bound == 0 && listen(socket, 1) == 0)
        for fd in [file, socket] {
            _ = fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) & ~FD_CLOEXEC)
            #expect(fcntl(fd, F_GETFD) & FD_CLOEXEC == 0)
        }

        // `ls` lists /proc/self/fd through one directory descriptor of its own, the lowest free: 3.
        let run = Run()
        _ = try start("/bin/ls", ["-l", "/proc/self/fd/"], run: run)
        try await waitUntil("ls exits") { run.exited }
        let entries = run.text.split(separator: "\n").filter { $0.hasPrefix("l") }.map { line -> (Int, String) in
            let parts = line.split(separator: " ")
            let arrow = parts.firstIndex(of: "->")!
            return (Int(parts[arrow - 1])!, parts[(arrow + 1)...].joined(separator: " "))
        }
        let numbers = entries.map(\.0).sorted()
        #expect(numbers == [0, 1, 2, 3], "\(run.text)")
        let listing = try #require(entries.first { $0.0 == 3 }?.1)
        #expect(listing.hasPrefix("/proc/") && listing.hasSuffix("/fd"), "fd 3 is \(listing)")
        for (_, target) in entries {
            #expect(!target.contains("leaked.txt"))
            #expect(!target.contains("socket:"))
        }
        print(
            "child descriptors: \(entries.map { "\($0.0) -> \($0.1)" }) (the test process held \(file) and \(socket) open, inheritable)"
        )
    }
    #endif

    @Test("a child leads its own process group, and what it leaves in the group dies with it")
    func processGroup() async throws {
        let run = Run()
        // The shell starts a grandchild that ignores SIGTERM and holds none of the pipes, prints
        // its pid, and exits when its stdin ends.
        let script = "trap '' TERM; sleep 300 </dev/null >/dev/null 2>&1 & echo $!; read line"
        let child = try start("/bin/sh", ["-c", script], run: run)
        #expect(getpgid(child.pid) == child.pid)
        try await waitUntil("the grandchild's pid is printed") { run.text.hasSuffix("\n") }
        let grandchild = try #require(Int32(run.text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(getpgid(grandchild) == child.pid)
        child.closeStdin()
        try await waitUntil("the shell exits") { run.exited }
        try await waitUntil("the grandchild (pid \(grandchild)) is gone") { processIsGone(grandchild) }
        print("process group \(child.pid): the shell and its grandchild \(grandchild) are gone")
    }

    @Test("a child that cannot start says why")
    func spawnFailures() throws {
        let run = Run()
        #expect(throws: ChildProcess.SpawnError.self) {
            _ = try ChildProcess(
                command: "/bin/sh", arguments: ["-c", "true"], environment: [:], cwd: "/nonexistent-junction-folder",
                maxWaitingBytes: 1024, configureStdout: { _ in }, onStderr: { _ in },
                onExit: { status in run.status.withLock { $0 = status } })
        }
        do {
            _ = try ChildProcess(
                command: "/bin/sh", arguments: ["-c", "true"], environment: [:], cwd: "/nonexistent-junction-folder",
                maxWaitingBytes: 1024, configureStdout: { _ in }, onStderr: { _ in }, onExit: { _ in })
        } catch {
            #expect("\(error)".contains("cannot use working directory '/nonexistent-junction-folder'"))
        }
    }

    @Test("a child that does not read its stdin holds Junction to the bound: writes past it are refused")
    func stdinBound() async throws {
        let run = Run()
        let bound = 256 * 1024
        let child = try start("/bin/sleep", ["60"], run: run, maxWaitingBytes: bound)
        let chunk = [UInt8](repeating: 0x61, count: 4096)
        var accepted = 0
        var outcome = ChildProcess.WriteOutcome.queued
        while accepted < 64 << 20, outcome == .queued {
            outcome = child.write(chunk)
            if outcome == .queued { accepted += chunk.count }
        }
        guard case .full(let waiting) = outcome else {
            Issue.record("64 MiB taken for a child that reads nothing: \(outcome)")
            child.signal(SIGKILL)
            return
        }
        // What the pipe took (64 KiB by default, at most 1 MiB) and what waits for it, no more.
        #expect(waiting <= bound && waiting + chunk.count > bound)
        #expect(accepted <= bound + (1 << 20) + chunk.count)
        #expect(child.bytesWaiting <= bound)
        child.signal(SIGKILL)
        try await waitUntil("the child exits") { run.exited }
        #expect(child.write(chunk) == .closed)
        try await waitUntil("what waited is dropped") { child.bytesWaiting == 0 }
        print("stdin bound: \(accepted) bytes taken for a child that reads nothing (bound \(bound)), then refused")
    }

    @Test("a child that reads gets every byte in order, the writer waiting whenever the bound is reached")
    func stdinDelivery() async throws {
        let run = Run()
        let child = try start("/bin/cat", [], run: run, maxWaitingBytes: 64 * 1024)
        var sent: [UInt8] = []
        for index in 0..<2_000 {
            let line = Array("line \(index) \(String(repeating: "x", count: index % 3000))\n".utf8)
            while true {
                let outcome = child.write(line)
                if outcome == .queued { break }
                try #require(outcome != .closed)
                try await waitUntil("the child reads what waits") { child.bytesWaiting < 32 * 1024 }
            }
            sent += line
        }
        child.closeStdin()
        try await waitUntil("cat exits") { run.exited }
        let received = run.output.withLock { $0 }
        #expect(received.count == sent.count)
        #expect(received == sent)
    }
}
