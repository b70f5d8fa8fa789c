import Foundation
import Synchronization
import Testing

@testable import JunctionGateway

@Suite("CallLimiter")
struct CallLimiterTests {
    /// The calls let in, in order.
    final class Admissions: Sendable {
        private let names = Mutex<[String]>([])
        func add(_ name: String) { names.withLock { $0.append(name) } }
        var all: [String] { names.withLock { $0 } }
    }

    /// Starts a call that waits for a place, recording when it got one; the task returns its permit.
    private func waiting(
        _ limiter: CallLimiter, server: String = "s", cap: Int? = nil, key: String = "k", admitted: Admissions,
        name: String
    ) -> Task<CallLimiter.Permit, any Error> {
        Task {
            let permit = try await limiter.acquire(server: server, serverName: server, serverCap: cap, key: key)
            admitted.add(name)
            return permit
        }
    }

    @Test("past a server's cap calls wait in line, in order, and past the line they are refused")
    func serverCap() async throws {
        let limiter = CallLimiter()
        limiter.limits = CallLimiter.Limits(perServer: 2, perKey: 0, maxQueued: 2)
        let first = try await limiter.acquire(server: "s", serverName: "fs", serverCap: nil, key: "k")
        let second = try await limiter.acquire(server: "s", serverName: "fs", serverCap: nil, key: "k")
        let admitted = Admissions()
        let third = waiting(limiter, admitted: admitted, name: "third")
        try await waitUntil("the third waits") { limiter.waiting(server: "s") == 1 }
        let fourth = waiting(limiter, admitted: admitted, name: "fourth")
        try await waitUntil("the fourth waits") { limiter.waiting(server: "s") == 2 }
        await #expect(throws: CallLimiter.Refusal(subject: .server("fs"), cap: 2, queued: 2)) {
            try await limiter.acquire(server: "s", serverName: "fs", serverCap: nil, key: "k")
        }
        // Another server is not held up.
        try await limiter.acquire(server: "other", serverName: "other", serverCap: nil, key: "k").release()
        #expect(limiter.running(server: "s") == 2)

        first.release()
        let thirdPermit = try await third.value
        #expect(admitted.all == ["third"])
        second.release()
        let fourthPermit = try await fourth.value
        #expect(admitted.all == ["third", "fourth"])
        thirdPermit.release()
        fourthPermit.release()
        #expect(limiter.running(server: "s") == 0)
        #expect(limiter.running(key: "k") == 0)
    }

    @Test("a server's own cap overrides the setting; 0 is no cap")
    func ownCap() async throws {
        let limiter = CallLimiter()
        limiter.limits = CallLimiter.Limits(perServer: 1, perKey: 0, maxQueued: 0)
        let permits = try await (0..<5).asyncMap { _ in
            try await limiter.acquire(server: "s", serverName: "s", serverCap: 0, key: "k")
        }
        #expect(limiter.running(server: "s") == 5)
        for permit in permits { permit.release() }
        // A permit released when it goes away: these are kept until the end.
        let held = try await (0..<3).asyncMap { _ in
            try await limiter.acquire(server: "t", serverName: "t", serverCap: 3, key: "k")
        }
        await #expect(throws: CallLimiter.Refusal.self) {
            try await limiter.acquire(server: "t", serverName: "t", serverCap: 3, key: "k")
        }
        #expect(limiter.running(server: "t") == held.count)
    }

    @Test("a key's cap holds across servers, and other keys are not held up")
    func keyCap() async throws {
        let limiter = CallLimiter()
        limiter.limits = CallLimiter.Limits(perServer: 0, perKey: 1, maxQueued: 1)
        let held = try await limiter.acquire(server: "a", serverName: "a", serverCap: nil, key: "alice")
        let admitted = Admissions()
        let queued = waiting(limiter, server: "b", key: "alice", admitted: admitted, name: "alice-b")
        try await waitUntil("alice's second call waits") { limiter.waiting(server: "b") == 1 }
        let refusal = CallLimiter.Refusal(subject: .key("alice"), cap: 1, queued: 1)
        await #expect(throws: refusal) {
            try await limiter.acquire(server: "c", serverName: "c", serverCap: nil, key: "alice")
        }
        #expect(refusal.description.contains("max_concurrent_calls_per_key"))
        try await limiter.acquire(server: "a", serverName: "a", serverCap: nil, key: "bob").release()
        held.release()
        try await queued.value.release()
        #expect(admitted.all == ["alice-b"])
    }

    /// A limiter whose server `s` is at its cap of 1 (the permit held), and a call waiting for it.
    private func oneWaiting() async throws -> (
        CallLimiter, held: CallLimiter.Permit, waiting: Task<CallLimiter.Permit, any Error>
    ) {
        let limiter = CallLimiter()
        limiter.limits = CallLimiter.Limits(perServer: 1, perKey: 0, maxQueued: 4)
        let held = try await limiter.acquire(server: "s", serverName: "s", serverCap: nil, key: "k")
        let task = waiting(limiter, admitted: Admissions(), name: "waiting")
        try await waitUntil("the call waits") { limiter.waiting(server: "s") == 1 }
        return (limiter, held, task)
    }

    @Test("a waiting call that is cancelled leaves the line, and holds no place")
    func cancelled() async throws {
        let (limiter, held, task) = try await oneWaiting()
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(limiter.waiting(server: "s") == 0)
        held.release()
        #expect(limiter.running(server: "s") == 0)
        try await limiter.acquire(server: "s", serverName: "s", serverCap: nil, key: "k").release()
    }

    @Test("raising the cap lets waiting calls in at once")
    func raisedCap() async throws {
        let (limiter, held, task) = try await oneWaiting()
        limiter.limits = CallLimiter.Limits(perServer: 2, perKey: 0, maxQueued: 4)
        try await task.value.release()
        held.release()
    }
}

extension Sequence where Element: Sendable {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
