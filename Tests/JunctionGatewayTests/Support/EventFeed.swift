import JunctionCore
import Testing

@testable import JunctionGateway

/// Reads an event subscription in the background, keeping every event (payloads parsed), with
/// waits for the event a test expects.
final class EventFeed: Sendable {
    private let recording = Recording<Event>()
    private let reader: Task<Void, Never>

    init(_ subscription: EventSubscription) {
        let recording = recording
        // Ends with the subscription (the bus closes, or drops it), or cancelled by stop().
        reader = Task {
            for await event in subscription { recording.append(event) }
        }
    }

    var events: [Event] { recording.elements }

    /// The events of one type so far.
    func events(_ type: String) -> [Event] { events.filter { $0.type == type } }

    /// The first event of `type` whose payload matches, waiting for it if needed.
    func first(
        _ type: String, since: Int = 0, where predicate: @escaping @Sendable (RawJSON) -> Bool = { _ in true }
    ) async throws -> RawJSON {
        let event = try await recording.first("a \(type) event", since: since) { event in
            event.type == type && predicate(event.payload)
        }
        return event.payload
    }

    /// A mark to wait for events after now.
    var count: Int { recording.count }

    /// Waits until the subscription has ended (after its final notice).
    func ended() async throws {
        let reader = reader
        try await bounded("the event stream ends") { await reader.value }
    }

    func stop() {
        reader.cancel()
    }
}

extension Event {
    /// The payload, parsed.
    var payload: RawJSON { (try? RawJSON(validating: data)) ?? .null }
}
