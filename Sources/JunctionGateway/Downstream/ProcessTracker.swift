import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Every process a pool started and that has not exited yet (an instance being stopped after
/// idling included), so shutdown can stop them all and wait for them. Once closed it takes no new
/// process: one started while shutdown runs is killed by its starter.
final class ProcessTracker: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: DownstreamConnection] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// Records a started process; false once closed (the caller kills it).
    func track(_ connection: DownstreamConnection) -> Bool {
        state.withLock { state in
            guard !state.closed else { return false }
            state.connections = state.connections.filter { $0.value.isRunning }
            state.connections[ObjectIdentifier(connection)] = connection
            return true
        }
    }

    /// Stops every process: stdin closed; after `inputGrace` SIGTERM to the process group of each
    /// one still running; after `grace` SIGKILL to those groups; then waits up to a second more
    /// for them to be reaped. Takes no new process from now on.
    func stopAll(inputGrace: Duration, grace: Duration) async {
        let connections = state.withLock { state in
            state.closed = true
            defer { state.connections.removeAll() }
            return Array(state.connections.values)
        }
        guard !connections.isEmpty else { return }
        for connection in connections { connection.closeInput() }
        await Self.waitForExit(connections, upTo: inputGrace)
        for connection in connections where connection.isRunning { connection.signalGroup(SIGTERM) }
        await Self.waitForExit(connections, upTo: grace)
        for connection in connections where connection.isRunning { connection.signalGroup(SIGKILL) }
        await Self.waitForExit(connections, upTo: .seconds(1))
    }

    private static func waitForExit(_ connections: [DownstreamConnection], upTo limit: Duration) async {
        let deadline = ContinuousClock.now + limit
        while connections.contains(where: \.isRunning), ContinuousClock.now < deadline {
            // Not cancelled with the caller (the wait is bounded all the same), and never a blocking
            // sleep: this runs on the cooperative pool.
            await Task { try? await Task.sleep(for: .milliseconds(20)) }.value
        }
    }
}
