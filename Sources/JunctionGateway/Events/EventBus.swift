import Foundation
import Logging
import Synchronization

/// The engine's event feed, for the daemon's SSE endpoints.
///
/// ``publish(_:_:)`` never waits: it stamps the next id and the time (the payload is encoded
/// once, when a reader first needs its JSON; a feed nobody reads costs no encoding),
/// keeps the event in a history of the last `historySize` events, and hands it to each
/// subscriber's buffer. A subscriber that lets `bufferSize` live events pile up unread is dropped
/// (its stream ends with `stream.dropped`) so the publisher never slows down. ``subscribe(after:types:)``
/// replays the history after a client's last id, then continues live, under the same lock as
/// publishing: nothing is lost or repeated between the two. ``close(reason:)`` ends every stream.
///
/// Ids start from the clock (microseconds since 1970) and increase by one per event, so an id
/// a client kept from an earlier daemon is older than anything this one published: it gets
/// `stream.gap` rather than a wrong replay. They stay below 2^53, exact as JavaScript numbers.
public final class EventBus: Sendable {
    public static let defaultHistorySize = 2048
    public static let defaultBufferSize = 1024

    /// How many of the latest events are kept for resuming.
    public let historySize: Int
    /// How many live events a subscriber may leave unread before it is dropped.
    public let bufferSize: Int
    private let state: Mutex<State>
    /// Held while events are handed to readers (never while `state` is locked for that).
    private let delivery = Mutex(())
    private let nextSubscriber = Atomic<Int>(0)
    private let logger = Logger(label: "junction.events")

    /// - Parameter firstId: the first event's id; by default taken from the clock.
    public init(
        historySize: Int = EventBus.defaultHistorySize, bufferSize: Int = EventBus.defaultBufferSize,
        firstId: UInt64? = nil
    ) {
        self.historySize = max(historySize, 1)
        self.bufferSize = max(bufferSize, 1)
        let clockId = UInt64(max(0, Date().timeIntervalSince1970 * 1_000_000))
        state = Mutex(State(nextId: max(firstId ?? clockId, 1), historySize: max(historySize, 1)))
    }

    // MARK: - Publishing

    /// Publishes an event whose payload is `payload`, encoded as JSON (ISO 8601 dates, sorted keys)
    /// when a reader first asks for it, once for all. Returns its id, or nil when the bus is closed.
    @discardableResult
    public func publish(_ type: String, _ payload: some Encodable & Sendable) -> UInt64? {
        let time = Date()
        return publish { id in Event(id: id, type: type, payload: payload, time: time) }
    }

    /// Publishes an event whose payload is already JSON (one value, UTF-8; not checked).
    @discardableResult
    public func publish(_ type: String, json: [UInt8]) -> UInt64? {
        let time = Date()
        return publish { id in Event(id: id, type: type, data: json, time: time) }
    }

    private func publish(_ makeEvent: (UInt64) -> Event) -> UInt64? {
        // Delivery happens outside `state`'s lock: yielding resumes a reader's task, which takes
        // that task's status lock, while cancelling a reader takes its status lock and then, in
        // the termination handler, `state`'s. Both under one lock deadlocked the daemon. The
        // `delivery` lock only keeps publishers (and replays) in id order.
        delivery.withLock { _ in
            let plan = state.withLock { state -> (Event, [Subscriber], [Subscriber])? in
                guard state.closedReason == nil else { return nil }
                let event = makeEvent(state.nextId)
                state.nextId += 1
                state.history.append(event)
                var live: [Subscriber] = []
                var dropped: [Subscriber] = []
                for (key, subscriber) in state.subscribers where subscriber.filter.matches(event.type) {
                    let backlog = subscriber.backlog
                    if backlog.unread.load(ordering: .relaxed) >= bufferSize {
                        state.subscribers[key] = nil
                        dropped.append(subscriber)
                    } else {
                        backlog.unread.add(1, ordering: .relaxed)
                        backlog.lastId.store(event.id, ordering: .relaxed)
                        live.append(subscriber)
                    }
                }
                return (event, live, dropped)
            }
            guard let (event, live, dropped) = plan else { return nil }
            for subscriber in live {
                subscriber.continuation.yield(Delivery(event: event, backlog: subscriber.backlog))
            }
            for subscriber in dropped {
                let lastId = subscriber.backlog.lastId.load(ordering: .relaxed)
                let notice = EventPayload.StreamNotice(
                    reason: "the reader fell behind: \(bufferSize) events were waiting unread. "
                        + "Resume after event \(lastId) to catch up while the history lasts.",
                    resumeAfter: lastId)
                subscriber.end(with: Self.notice(EventType.streamDropped, notice, time: event.time))
            }
            return event.id
        }
    }

    // MARK: - Subscribing

    /// A stream of events, live from now, or with `lastEventId` first those in the history
    /// published after it. An id older than the history (or unknown) starts at the oldest kept,
    /// after a `stream.gap` notice. `types` keeps only those types (an entry ending in `*` matches
    /// by prefix, as `activity.*`); the `stream.*` notices always come. Cancelling the reading task,
    /// or dropping the stream, ends the subscription.
    public func subscribe(after lastEventId: UInt64? = nil, types: Set<String>? = nil) -> EventSubscription {
        let (stream, continuation) = AsyncStream<Delivery>.makeStream()
        let filter = TypeFilter(types)
        let key = nextSubscriber.add(1, ordering: .relaxed).oldValue
        // Set before the subscriber is registered: a publisher may end the stream at once. It runs
        // under the reading task's status lock when that task is cancelled; nothing resumes a
        // reader while holding `state`'s lock (delivery happens under `delivery`), so waiting for
        // it here cannot close a cycle.
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.subscribers.removeValue(forKey: key) }
        }
        // Replay and registration under `delivery`: no publisher is between its two steps, so
        // nothing is lost or repeated; the replay yields to a stream nobody reads yet.
        let open = delivery.withLock { _ in
            state.withLock { state -> Bool in
                guard state.closedReason == nil else { return false }
                let latest = state.nextId - 1
                if let lastEventId {
                    let oldest = state.history.first?.id ?? state.nextId
                    var from = oldest
                    if lastEventId >= oldest - 1 && lastEventId <= latest {
                        from = lastEventId + 1
                    } else {
                        let reason =
                            lastEventId > latest
                            ? "event \(lastEventId) is not from this daemon's feed (its latest is \(latest))"
                            : "events after \(lastEventId) up to \(oldest - 1) are no longer kept"
                        let notice = EventPayload.StreamNotice(
                            reason: reason + "; resuming with the oldest kept", resumeAfter: oldest - 1,
                            requestedAfter: lastEventId)
                        continuation.yield(Delivery(event: Self.notice(EventType.streamGap, notice, time: Date())))
                    }
                    for event in state.history.events(from: from) where filter.matches(event.type) {
                        continuation.yield(Delivery(event: event))
                    }
                }
                // Replayed or not, everything up to the latest is behind this subscriber now.
                state.subscribers[key] = Subscriber(continuation: continuation, filter: filter, lastId: latest)
                return true
            }
        }
        if !open { continuation.finish() }
        return EventSubscription(stream: stream)
    }

    // MARK: - Closing

    /// Ends every stream with a `stream.closed` notice (daemon shutdown); later publishes are
    /// ignored and later subscriptions end at once. Calling it again does nothing.
    public func close(reason: String = "Junction is shutting down") {
        let time = Date()
        delivery.withLock { _ in
            let ending = state.withLock { state -> (Event, [Subscriber])? in
                guard state.closedReason == nil else { return nil }
                state.closedReason = reason
                let latest = state.nextId - 1
                let notice = Self.notice(
                    EventType.streamClosed, EventPayload.StreamNotice(reason: reason, resumeAfter: latest),
                    time: time)
                defer { state.subscribers.removeAll() }
                return (notice, Array(state.subscribers.values))
            }
            guard let (notice, subscribers) = ending else { return }
            for subscriber in subscribers { subscriber.end(with: notice) }
        }
    }

    // MARK: - Inspection

    public var isClosed: Bool { state.withLock { $0.closedReason != nil } }

    /// The id of the latest published event, or nil before the first.
    public var lastEventId: UInt64? {
        state.withLock { state in state.history.isEmpty ? nil : state.nextId - 1 }
    }

    /// Streams currently subscribed.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    // MARK: - Helpers

    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    private static func notice(_ type: String, _ notice: EventPayload.StreamNotice, time: Date) -> Event {
        let data = (try? encoder().encode(notice)).map(Array.init) ?? Array("{}".utf8)
        return Event(id: notice.resumeAfter, type: type, data: data, time: time, isSynthetic: true)
    }

    // MARK: - State

    private struct Subscriber {
        var continuation: AsyncStream<Delivery>.Continuation
        var filter: TypeFilter
        let backlog: Backlog

        init(continuation: AsyncStream<Delivery>.Continuation, filter: TypeFilter, lastId: UInt64) {
            self.continuation = continuation
            self.filter = filter
            backlog = Backlog(lastId: lastId)
        }

        /// Delivers a last notice and ends the stream, for a subscriber already taken out of the
        /// registry. Called under the delivery lock, so no publisher comes between; the
        /// termination handler is cleared first (there is nothing left for it to remove).
        func end(with notice: Event) {
            continuation.onTermination = nil
            continuation.yield(Delivery(event: notice))
            continuation.finish()
        }
    }

    private struct State {
        var nextId: UInt64
        var history: History
        var subscribers: [Int: Subscriber] = [:]
        var closedReason: String?

        init(nextId: UInt64, historySize: Int) {
            self.nextId = nextId
            history = History(capacity: historySize)
        }
    }

    /// The latest events, oldest first, in a fixed-size ring; ids are consecutive.
    private struct History {
        private var storage: [Event] = []
        private var start = 0
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            storage.reserveCapacity(capacity)
        }

        var isEmpty: Bool { storage.isEmpty }
        var first: Event? { storage.isEmpty ? nil : storage[start] }

        mutating func append(_ event: Event) {
            if storage.count < capacity {
                storage.append(event)
            } else {
                storage[start] = event
                start = (start + 1) % capacity
            }
        }

        /// The kept events with an id from `id` on, oldest first.
        func events(from id: UInt64) -> [Event] {
            guard let oldest = first?.id else { return [] }
            let skip = id > oldest ? Int(min(id - oldest, UInt64(storage.count))) : 0
            return (skip..<storage.count).map { storage[(start + $0) % storage.count] }
        }
    }

    /// Which event types a subscriber wants: all (nil), or exact names and `prefix*` patterns.
    private struct TypeFilter {
        var exact: Set<String>
        var prefixes: [String]
        var all: Bool

        init(_ types: Set<String>?) {
            all = types == nil
            exact = types?.filter { !$0.hasSuffix("*") } ?? []
            prefixes = types?.filter { $0.hasSuffix("*") }.map { String($0.dropLast()) } ?? []
        }

        func matches(_ type: String) -> Bool {
            all || exact.contains(type) || prefixes.contains { type.hasPrefix($0) }
        }
    }
}

/// An event on its way to one subscriber; `backlog` is set for live events, which count against
/// the subscriber's buffer until read.
struct Delivery: Sendable {
    var event: Event
    var backlog: Backlog?
}

/// One subscriber's position: live events handed over and not yet read (the reader counts them
/// down), and the id of the last event handed over, where a dropped reader resumes.
final class Backlog: Sendable {
    let unread = Atomic<Int>(0)
    let lastId: Atomic<UInt64>

    init(lastId: UInt64) {
        self.lastId = Atomic(lastId)
    }
}
