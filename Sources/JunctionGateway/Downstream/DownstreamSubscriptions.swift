import JunctionCore
import Logging
import Synchronization

/// The `subscriptions/listen` streams open on one modern-era downstream: one for list changes,
/// opened when the instance starts, and one per subscribed resource URI.
///
/// A stream is a request without a deadline, named by its JSON-RPC id. The server acknowledges it
/// with `notifications/subscriptions/acknowledged`, tags what it sends on it with that id, and ends
/// it by answering the request (a graceful end) or by exiting; Junction ends it with
/// `notifications/cancelled`. A stream the server ended is forgotten, so the next `open` for the
/// same purpose opens a new one.
final class DownstreamSubscriptions: Sendable {
    /// What a stream is for; at most one stream per purpose.
    enum Purpose: Hashable, Sendable, CustomStringConvertible {
        /// `notifications/{tools,prompts,resources}/list_changed`.
        case listChanges
        /// `notifications/resources/updated` for one URI.
        case resource(String)

        var description: String {
            switch self {
            case .listChanges: "list changes"
            case .resource(let uri): "resource \(uri)"
            }
        }
    }

    private struct Stream {
        var purpose: Purpose
        var task: Task<Void, Never>
        /// The caller of `open` waiting for the acknowledgement, until it comes.
        var waiter: CheckedContinuation<Void, any Error>?
    }

    private struct State {
        var streams: [Int: Stream] = [:]
        var closed = false
    }

    private let server: String
    private let state = Mutex(State())
    private let logger = Logger(label: "junction.pool")

    init(server: String) {
        self.server = server
    }

    /// The purposes of the streams open now.
    var open: Set<Purpose> { state.withLock { Set($0.streams.values.map(\.purpose)) } }

    /// Opens a stream for `purpose` unless one is open, without waiting for its acknowledgement.
    ///
    /// - Parameter params: the `subscriptions/listen` params, `_meta` included.
    func begin(_ purpose: Purpose, params: RawJSON, on connection: DownstreamConnection) {
        _ = start(connection.reserveId(), purpose, params: params, connection: connection, waiter: nil)
    }

    /// Opens a stream for `purpose` unless one is open, and waits until the server acknowledges it.
    ///
    /// A stream not acknowledged within `bound` is cancelled and the call throws
    /// `DownstreamError.timeout`; one the server refuses throws `DownstreamError.rejected`.
    func open(
        _ purpose: Purpose, params: RawJSON, on connection: DownstreamConnection, acknowledgedWithin bound: Duration
    ) async throws {
        let id = connection.reserveId()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            guard start(id, purpose, params: params, connection: connection, waiter: continuation) else {
                continuation.resume()
                return
            }
            // Ends by itself after the bound (finding nothing to do once the stream is acknowledged).
            Task { [weak self] in
                try? await Task.sleep(for: bound)
                self?.acknowledgementOverdue(id, bound: bound, connection: connection)
            }
        }
    }

    /// Ends the stream for `purpose`, if one is open.
    func close(_ purpose: Purpose, on connection: DownstreamConnection) {
        let stream = state.withLock { state -> (Int, Stream)? in
            guard let (id, _) = state.streams.first(where: { $0.value.purpose == purpose }) else { return nil }
            return state.streams.removeValue(forKey: id).map { (id, $0) }
        }
        guard let (id, stream) = stream else { return }
        end(id, stream, connection: connection, reason: "unsubscribed")
    }

    /// Ends every stream (the instance stops); none opens after this.
    func closeAll(on connection: DownstreamConnection) {
        let streams = state.withLock { state -> [Int: Stream] in
            state.closed = true
            defer { state.streams.removeAll() }
            return state.streams
        }
        for (id, stream) in streams { end(id, stream, connection: connection, reason: "the server is stopping") }
    }

    /// Consumes the acknowledgement of a stream; false for every other message.
    func received(_ message: JSONRPCMessage) -> Bool {
        guard message.kind == .notification, message.method == "notifications/subscriptions/acknowledged" else {
            return false
        }
        let id = message.params?["_meta"]?[MCPProtocol.Meta.subscriptionId]?.intValue
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard let id else { return nil }
            defer { state.streams[id]?.waiter = nil }
            return state.streams[id]?.waiter
        }
        logger.debug(
            "subscription acknowledged",
            metadata: [
                "junction.downstream": "\(server)", "subscription": "\(id.map(String.init) ?? "?")",
                "notifications": "\(message.params?["notifications"]?.description ?? "{}")",
            ])
        waiter?.resume()
        return true
    }

    /// Registers and sends the stream; false when one for the purpose is open or all are closed.
    private func start(
        _ id: Int, _ purpose: Purpose, params: RawJSON, connection: DownstreamConnection,
        waiter: CheckedContinuation<Void, any Error>?
    ) -> Bool {
        state.withLock { state in
            guard !state.closed, !state.streams.values.contains(where: { $0.purpose == purpose }) else { return false }
            // Lives as long as the stream: ends with the server's response, with `end` (which cancels
            // it and tells the server) or with the process.
            let task = Task { [weak self] in
                let outcome: Result<JSONRPCMessage, any Error>
                do {
                    outcome = .success(
                        try await connection.request("subscriptions/listen", params: params, timeout: nil, id: id))
                } catch {
                    outcome = .failure(error)
                }
                self?.ended(id, outcome)
            }
            state.streams[id] = Stream(purpose: purpose, task: task, waiter: waiter)
            return true
        }
    }

    private func end(_ id: Int, _ stream: Stream, connection: DownstreamConnection, reason: String) {
        connection.cancel(id, reason: reason)
        // Not yet sent: the request sees the cancellation and never goes out.
        stream.task.cancel()
        stream.waiter?.resume(throwing: DownstreamError.cancelled)
    }

    /// The server answered the stream's request, or the request failed.
    private func ended(_ id: Int, _ outcome: Result<JSONRPCMessage, any Error>) {
        guard let stream = state.withLock({ $0.streams.removeValue(forKey: id) }) else { return }  // ended by us
        let failure: any Error
        switch outcome {
        case .success(let response) where response.kind == .response:
            logger.debug(
                "server ended a subscription",
                metadata: ["junction.downstream": "\(server)", "subscription": "\(id)", "purpose": "\(stream.purpose)"])
            failure = DownstreamError.protocolError(
                server: server, reason: "it ended subscriptions/listen before acknowledging it")
        case .success(let response):
            failure = DownstreamError.rejected(
                server: server, method: "subscriptions/listen",
                code: response.errorCode ?? JSONRPCErrorCode.internalError,
                message: response.errorMessage ?? "no message")
            logger.debug(
                "server refused a subscription",
                metadata: ["junction.downstream": "\(server)", "purpose": "\(stream.purpose)", "error": "\(failure)"])
        case .failure(let error):
            failure = error
        }
        stream.waiter?.resume(throwing: failure)
    }

    private func acknowledgementOverdue(_ id: Int, bound: Duration, connection: DownstreamConnection) {
        let stream = state.withLock { state -> Stream? in
            guard state.streams[id]?.waiter != nil else { return nil }
            return state.streams.removeValue(forKey: id)
        }
        guard var stream else { return }
        let waiter = stream.waiter
        stream.waiter = nil
        end(id, stream, connection: connection, reason: "not acknowledged in time")
        waiter?.resume(throwing: DownstreamError.timeout(server: server, seconds: DownstreamPool.seconds(bound)))
    }
}
