import CJunctionShims
import Foundation
import JunctionCore
import Logging
import Testing

@testable import JunctionServer

#if canImport(Glibc)
import Glibc
#endif

@Suite("SocketHello")
struct SocketHelloTests {
    private func hello(cwd: String) -> SocketHello {
        SocketHello(version: JunctionVersion.current, cwd: cwd, workspace: nil, pid: 1)
    }

    @Test("cwd must be an absolute path without NUL")
    func cwdProblem() {
        #expect(hello(cwd: "/home/me/project").cwdProblem == nil)
        #expect(hello(cwd: "/").cwdProblem == nil)
        for relative in ["project", "./project", "../up", "", "~/project"] {
            let problem = hello(cwd: relative).cwdProblem
            #expect(problem?.contains("must be an absolute path") == true, "\(relative): \(problem ?? "accepted")")
        }
        for withNUL in ["/home/me\u{0}/etc", "\u{0}", "relative\u{0}"] {
            let problem = hello(cwd: withNUL).cwdProblem
            #expect(problem?.contains("contains a NUL character") == true, "\(problem ?? "accepted")")
        }
    }

    @Test("the daemon's socket refuses a relative cwd or one with NUL, and welcomes an absolute one")
    func listenerRefuses() async throws {
        let harness = try APIHarness()
        let listener = SocketListener(
            path: harness.home.socketPath, apiSocketPath: harness.directory.file("api.sock"),
            engine: harness.engine, logger: Logger(label: "test"))
        try await listener.start()
        defer { listener.stop() }

        func answer(to hello: SocketHello) throws -> SocketWelcome {
            let fd = junction_unix_connect(harness.home.socketPath)
            try #require(fd >= 0)
            defer { close(fd) }
            let line = try JSONEncoder().encode(hello)
            try #require(SocketIO.writeAll(fd, Array(line) + [0x0A]))
            SocketIO.setReceiveTimeout(fd, seconds: 10)
            let (reply, _) = try #require(SocketIO.readLine(fd, limit: 64 * 1024))
            return try JSONDecoder().decode(SocketWelcome.self, from: Data(reply))
        }

        let relative = try answer(to: hello(cwd: "some/folder"))
        #expect(relative.junction == .refused)
        #expect(relative.reason == .invalidHello)
        #expect(relative.message == "the hello's cwd must be an absolute path, not 'some/folder'")

        let withNUL = try answer(to: hello(cwd: "/tmp/a\u{0}b"))
        #expect(withNUL.junction == .refused)
        #expect(withNUL.reason == .invalidHello)
        #expect(withNUL.message?.contains("NUL") == true)

        let absolute = try answer(to: hello(cwd: harness.directory.path))
        #expect(absolute.junction == .welcome)
        #expect(absolute.sessionId != nil)
        await harness.engine.shutdown()
    }

    @Test("once shutdown begins the API answers 503 shutting_down")
    func apiRefusesDuringShutdown() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            #expect(try await client.get("/api/v1/health").status == .ok)
            harness.environment.shutdown.set()
            let refused = try await client.get("/api/v1/health")
            #expect(refused.status == .serviceUnavailable)
            #expect(try refused.json()["code"] as? String == "shutting_down")
        }
    }
}
