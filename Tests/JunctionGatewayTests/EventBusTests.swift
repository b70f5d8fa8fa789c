import Foundation
import JunctionCore
import Synchronization
import Testing

@testable import JunctionGateway

@Suite("EventBus", .timeLimit(.minutes(1)))
struct EventBusTests {
    private struct Payload: Codable, Sendable {
        var n: Int
        var someName: String?

        enum CodingKeys: String, CodingKey {
            case n
            case someName = "some_name"
        }
    }

    /// The next `count` events of a subscription.
    private func take(_ count: Int, from iterator: inout EventSubscription.AsyncIterator) async -> [Event] {
        var events: [Event] = []
        while events.count < count, let event = await iterator.next() { events.append(event) }
        return events
    }

    private func publish(_ bus: EventBus, _ range: ClosedRange<Int>, type: String = "test.event") {
        for n in range { bus.publish(type, Payload(n: n)) }
    }

    @Test("events arrive in publish order, ids one apart, payloads as encoded JSON with the type and time")
    func order() async throws {
        let bus = EventBus(firstId: 1)
        var events = bus.subscribe().makeAsyncIterator()
        let before = Date()
        #expect(bus.publish("test.event", Payload(n: 1, someName: "x/y")) == 1)
        #expect(bus.publish("other.event", json: Array(#"{"raw":true}"#.utf8)) == 2)
        publish(bus, 3...5)
        let received = await take(5, from: &events)
        #expect(received.map(\.id) == [1, 2, 3, 4, 5])
        #expect(received.map(\.type) == ["test.event", "other.event", "test.event", "test.event", "test.event"])
        #expect(received[0].json == #"{"n":1,"some_name":"x/y"}"#)
        #expect(received[1].json == #"{"raw":true}"#)
        #expect(received.allSatisfy { !$0.isSynthetic && $0.time >= before.addingTimeInterval(-1) })
        #expect(received[0].timestamp.hasSuffix("Z") && received[0].timestamp.contains("T"))
        #expect(bus.lastEventId == 5)
    }

    @Test("ids start from the clock in microseconds, so an earlier daemon's ids are older than this one's")
    func clockIds() throws {
        let before = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        let id = try #require(EventBus().publish("test.event", Payload(n: 1)))
        let after = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        #expect(id >= before && id <= after + 1)
        #expect(id < 1 << 53, "exact as a JavaScript number")
    }

    @Test("resuming replays the kept events after the id, then continues live, with no gap or duplicate")
    func resumeWithoutGap() async throws {
        let bus = EventBus(historySize: 8192, bufferSize: 8192, firstId: 1)
        publish(bus, 1...100)
        // Subscribers join while publishing goes on: replay and live meet under one lock.
        let publisher = Task { publish(bus, 101...5000) }
        var joined: [(after: UInt64, subscription: EventSubscription)] = []
        for index in 0..<20 {
            // Spread over the run: each joins once the publisher got 200 events further.
            while (bus.lastEventId ?? 0) < UInt64(100 + 200 * index) { await Task.yield() }
            let after = (bus.lastEventId ?? 0) - 10
            joined.append((after, bus.subscribe(after: after)))
        }
        await publisher.value
        for (after, subscription) in joined {
            var events = subscription.makeAsyncIterator()
            let received = await take(Int(5000 - after), from: &events)
            #expect(received.map(\.id) == Array(after + 1...5000), "resumed after \(after)")
        }
    }

    @Test("resuming at the latest id gets only live events; a filter keeps its types and prefixes")
    func resumeAtLatestFiltered() async throws {
        let bus = EventBus(firstId: 1)
        publish(bus, 1...3, type: "activity.tool_call.started")
        var events = bus.subscribe(after: 3, types: ["activity.*", "config.reloaded"]).makeAsyncIterator()
        bus.publish("servers.changed", Payload(n: 4))
        bus.publish("config.reloaded", Payload(n: 5))
        bus.publish("activity.tool_call.completed", Payload(n: 6))
        let received = await take(2, from: &events)
        #expect(received.map(\.id) == [5, 6])
        #expect(received.map(\.type) == ["config.reloaded", "activity.tool_call.completed"])
    }

    @Test("an id older than the history gets stream.gap first, then everything kept from the oldest")
    func gapOlderThanHistory() async throws {
        let bus = EventBus(historySize: 4, firstId: 1)
        publish(bus, 1...10)
        var events = bus.subscribe(after: 2).makeAsyncIterator()
        let received = await take(5, from: &events)
        #expect(received.map(\.type) == ["stream.gap"] + Array(repeating: "test.event", count: 4))
        #expect(received.map(\.id) == [6, 7, 8, 9, 10])
        let gap = try #require(received.first)
        #expect(gap.isSynthetic)
        let notice = try JSONDecoder().decode(EventPayload.StreamNotice.self, from: Data(gap.data))
        #expect(notice.resumeAfter == 6)
        #expect(notice.requestedAfter == 2)
        #expect(notice.reason.contains("after 2 up to 6 are no longer kept"), "\(notice.reason)")

        // Inside the (wrapped) history: no gap.
        var recent = bus.subscribe(after: 8).makeAsyncIterator()
        bus.publish("test.event", Payload(n: 11))
        #expect(await take(3, from: &recent).map(\.id) == [9, 10, 11])
    }

    @Test("an id this bus never published (an earlier daemon's) gets stream.gap and the whole history")
    func gapUnknownId() async throws {
        let bus = EventBus(historySize: 8, firstId: 100)
        publish(bus, 1...3)
        var events = bus.subscribe(after: 5000).makeAsyncIterator()
        let received = await take(4, from: &events)
        #expect(received.map(\.type) == ["stream.gap", "test.event", "test.event", "test.event"])
        #expect(received.map(\.id) == [99, 100, 101, 102])
        #expect(received[0].json.contains("not from this daemon's feed"), "\(received[0].json)")
    }

    @Test("a reader that falls behind is dropped with stream.dropped; the publisher never waits")
    func slowReaderDropped() async throws {
        let bus = EventBus(historySize: 4096, bufferSize: 8, firstId: 1)
        let slow = bus.subscribe()
        // Never matches, so never falls behind.
        let idle = bus.subscribe(types: ["nothing.published"])
        #expect(bus.subscriberCount == 2)
        // Nobody reads: every publish returns at once all the same.
        publish(bus, 1...1000)
        #expect(bus.lastEventId == 1000)
        #expect(bus.subscriberCount == 1, "the slow reader is gone, the idle one stays")

        var events = slow.makeAsyncIterator()
        let received = await take(9, from: &events)
        #expect(received.prefix(8).map(\.id) == Array(1...8), "what was buffered still arrives, in order")
        let dropped = try #require(received.last)
        #expect(dropped.type == "stream.dropped")
        #expect(dropped.id == 8)
        let notice = try JSONDecoder().decode(EventPayload.StreamNotice.self, from: Data(dropped.data))
        #expect(notice.resumeAfter == 8)
        #expect(notice.reason.contains("fell behind"))
        #expect(await events.next() == nil, "the stream ends after the notice")

        // Resuming where it was dropped loses nothing while the history lasts.
        var resumed = bus.subscribe(after: dropped.id).makeAsyncIterator()
        #expect(await take(992, from: &resumed).map(\.id) == Array(9...1000))
        _ = idle
    }

    @Test("a reader that keeps up is never dropped")
    func steadyReaderKept() async throws {
        let bus = EventBus(bufferSize: 4, firstId: 1)
        var events = bus.subscribe().makeAsyncIterator()
        for n in 1...50 {
            bus.publish("test.event", Payload(n: n))
            #expect(await events.next()?.id == UInt64(n))
        }
        #expect(bus.subscriberCount == 1)
    }

    @Test("close ends every stream with stream.closed; later subscriptions end at once and publishes are ignored")
    func close() async throws {
        let bus = EventBus(firstId: 1)
        var first = bus.subscribe().makeAsyncIterator()
        var second = bus.subscribe(types: ["other"]).makeAsyncIterator()
        publish(bus, 1...2)
        bus.close(reason: "Junction is shutting down")
        bus.close(reason: "again")
        #expect(bus.isClosed)
        #expect(bus.subscriberCount == 0)
        #expect(bus.publish("test.event", Payload(n: 3)) == nil)

        let received = await take(4, from: &first)
        #expect(received.map(\.type) == ["test.event", "test.event", "stream.closed"])
        #expect(received.last?.id == 2)
        #expect(received.last?.json.contains("Junction is shutting down") == true)
        let other = await take(2, from: &second)
        #expect(other.map(\.type) == ["stream.closed"])

        var late = bus.subscribe(after: 1).makeAsyncIterator()
        #expect(await late.next() == nil)
        #expect(bus.subscriberCount == 0)
    }

    @Test("cancelling the reading task, or dropping the subscription, removes it from the bus")
    func cancelRemoves() async throws {
        let bus = EventBus(firstId: 1)
        let subscription = bus.subscribe()
        let (started, didStart) = AsyncStream<Void>.makeStream()
        let reader = Task {
            var count = 0
            for await _ in subscription {
                count += 1
                didStart.yield()
            }
            return count
        }
        bus.publish("test.event", Payload(n: 1))
        for await _ in started { break }
        #expect(bus.subscriberCount == 1)
        reader.cancel()
        #expect(await reader.value == 1)
        #expect(bus.subscriberCount == 0)

        var unread: EventSubscription? = bus.subscribe()
        #expect(bus.subscriberCount == 1)
        _ = unread
        unread = nil
        #expect(bus.subscriberCount == 0)
    }

    @Test("readers cancelled while the bus publishes and closes never deadlock it")
    func cancelWhileClosing() async throws {
        // A cancelled reader's termination handler runs under its task's lock, while a publisher
        // holding the bus's lock may be resuming that very task: the handler must not wait. A
        // deadlock blocks the cooperative threads, so no task could report it: a plain thread
        // ends the test process instead of letting it hang.
        final class Flag: Sendable {
            let value = Atomic(false)
        }
        let finished = Flag()
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: 120)
            if !finished.value.load(ordering: .acquiring) {
                fatalError("EventBus deadlocked: a cancelled reader against publish and close")
            }
        }
        watchdog.start()
        defer { finished.value.store(true, ordering: .releasing) }
        try await bounded("rounds of cancel against publish and close", seconds: 60) {
            for round in 0..<2000 {
                let bus = EventBus(firstId: 1)
                let (started, didStart) = AsyncStream<Void>.makeStream()
                let readers = (0..<8).map { _ in
                    let subscription = bus.subscribe()
                    return Task {
                        for await _ in subscription { didStart.yield() }
                    }
                }
                bus.publish("test.event", Payload(n: 0))
                var waiting = 0
                for await _ in started {
                    waiting += 1
                    if waiting == readers.count { break }
                }
                // Every reader now waits for its next event.
                let publisher = Task.detached {
                    for n in 1...20 { bus.publish("test.event", Payload(n: n)) }
                    bus.close(reason: "round \(round)")
                }
                let canceller = Task.detached {
                    for reader in readers { reader.cancel() }
                }
                await publisher.value
                await canceller.value
                for reader in readers { await reader.value }
            }
        }
    }
}
