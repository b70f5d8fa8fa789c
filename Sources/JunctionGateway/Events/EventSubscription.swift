/// One subscriber's events, in id order (synthetic `stream.*` notices where they belong). It ends
/// after `stream.dropped` or `stream.closed`, or when the reading task is cancelled; cancelling or
/// dropping it removes the subscription from the bus.
public struct EventSubscription: AsyncSequence, Sendable {
    public typealias Element = Event
    public typealias Failure = Never

    let stream: AsyncStream<Delivery>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<Delivery>.Iterator

        public mutating func next() async -> Event? {
            guard let delivery = await base.next() else { return nil }
            // Read: it no longer counts against the subscriber's buffer.
            delivery.backlog?.unread.subtract(1, ordering: .relaxed)
            return delivery.event
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: stream.makeAsyncIterator())
    }
}
