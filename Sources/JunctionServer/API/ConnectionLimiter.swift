import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import Synchronization

/// Caps the HTTP listener's open connections so idle sockets cannot use up the daemon's file
/// descriptors (20,000 idle connections would otherwise hold 20,000 descriptors until each one's
/// idle timeout). Past the cap a new connection is still let in, and the connection idle the
/// longest (no request in flight: a keep-alive connection between requests, or one that has not
/// finished its request head) is closed instead, so `/api/v1/health` keeps answering during a
/// flood while descriptors stay bounded. Only when every connection is serving a request (event
/// streams, long calls) is the newcomer closed.
///
/// Hummingbird's own `availableConnectionsDelegate` stops accepting at its limit, which leaves
/// every newcomer, health checks included, waiting in the kernel backlog behind the idle ones.
public final class ConnectionLimiter: Sendable {
    /// Connections open at most.
    public let maximum: Int

    struct Connection {
        let channel: any Channel
        var requestsInFlight = 0
        /// When it last started or finished a request (a tick of ``State/clock``).
        var lastActive: UInt64
    }

    struct State {
        var connections: [ObjectIdentifier: Connection] = [:]
        var clock: UInt64 = 0
        var evicted: UInt64 = 0
        var refused: UInt64 = 0
    }

    /// What to do with a new connection.
    enum Admission {
        /// Let in; close `evicting` (the longest-idle one) to make room, if it is set.
        case admitted(evicting: (any Channel)?)
        /// Every connection is busy: close the new one.
        case refused
    }

    private let state = Mutex(State())

    public init(maximum: Int) {
        self.maximum = max(1, maximum)
    }

    /// Connections open now.
    public var count: Int { state.withLock { $0.connections.count } }

    /// Connections closed to make room, and newcomers closed because none was idle, since start.
    public var shed: (evicted: UInt64, refused: UInt64) { state.withLock { ($0.evicted, $0.refused) } }

    /// Registers a new connection; at the cap, picks which connection to close. A linear scan
    /// for the longest idle: it runs only at the cap, over at most `maximum` entries.
    func opened(_ channel: any Channel) -> Admission {
        state.withLock { state in
            state.clock += 1
            let id = ObjectIdentifier(channel)
            var victim: (any Channel)?
            if state.connections.count >= maximum {
                let idlest = state.connections.filter { $0.value.requestsInFlight == 0 }
                    .min { $0.value.lastActive < $1.value.lastActive }
                guard let idlest else {
                    state.refused += 1
                    return .refused
                }
                // Forgotten now, not when its close completes, so the next newcomer picks another.
                state.connections[idlest.key] = nil
                state.evicted += 1
                victim = idlest.value.channel
            }
            state.connections[id] = Connection(channel: channel, lastActive: state.clock)
            return .admitted(evicting: victim)
        }
    }

    func requestStarted(_ channel: any Channel) {
        state.withLock { state in
            state.clock += 1
            let now = state.clock
            state.connections[ObjectIdentifier(channel)]?.requestsInFlight += 1
            state.connections[ObjectIdentifier(channel)]?.lastActive = now
        }
    }

    func responseFinished(_ channel: any Channel) {
        state.withLock { state in
            state.clock += 1
            let now = state.clock
            let id = ObjectIdentifier(channel)
            guard var connection = state.connections[id] else { return }
            connection.requestsInFlight = max(0, connection.requestsInFlight - 1)
            connection.lastActive = now
            state.connections[id] = connection
        }
    }

    func closed(_ channel: any Channel) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with the daemon's connection hygiene: ``ConnectionAdmissionHandler`` counts every
    /// connection against `limiter` from accept and closes one whose first request head is not
    /// complete within `idleTimeout`; after that a connection idle for `idleTimeout` (between
    /// keep-alive requests, or while a request body stalls) is closed.
    ///
    /// A request asking for a WebSocket upgrade goes to `webSocketRouter` first; one it does not
    /// upgrade (refused or unknown) is served by the application's router as any other. An
    /// upgraded connection leaves the HTTP handlers behind, stays counted, and is pinged every 30 s.
    static func junction(
        idleTimeout: Duration, limiter: ConnectionLimiter, webSocketRouter: Router<WebSocketAPIContext>,
        handlers: @escaping @Sendable () -> any RemovableChannelHandler
    ) -> HTTPServerBuilder {
        let seconds = max(1, idleTimeout.components.seconds)
        let webSocketResponder = webSocketRouter.buildResponder()
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(
                additionalChannelHandlers: [ConnectionTrackingHandler(limiter: limiter), handlers()],
                idleTimeout: .seconds(seconds)),
            ws: .init(maxFrameSize: 1 << 20, autoPing: .enabled(timePeriod: .seconds(30))))
        return HTTPServerBuilder { responder in
            AdmittedChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                limiter: limiter, headTimeout: .seconds(seconds))
        }
    }
}

/// A child channel with ``ConnectionAdmissionHandler`` first in its pipeline, ahead of whatever
/// `inner` sets up (the WebSocket upgrade negotiation adds the HTTP handlers only once a request
/// head is complete, too late to count or time out a client that never finishes one).
struct AdmittedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value

    let inner: Inner
    let limiter: ConnectionLimiter
    let headTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(
                ConnectionAdmissionHandler(limiter: limiter, headTimeout: headTimeout))
        }.flatMap {
            inner.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
