import Foundation
import Synchronization

/// One entry of the engine's event feed: what happened (`type`), its JSON payload, when, and a
/// monotonic id a reconnecting client resumes after (SSE `Last-Event-ID`).
public struct Event: Sendable, Hashable {
    /// Increases by one with each published event. Synthetic events repeat the id to resume after.
    public let id: UInt64
    /// Dotted name, such as `activity.tool_call.completed` (see ``EventType``).
    public let type: String
    /// The value published, for readers in this process that need no JSON (nil when the event
    /// was published as JSON).
    public let payload: (any Encodable & Sendable)?
    private let encoded: EncodedPayload
    public let time: Date
    /// Made by the bus for one subscriber (`stream.gap`, `stream.dropped`, `stream.closed`) rather
    /// than published: not in the history, and its id is the one to resume after.
    public let isSynthetic: Bool

    public init(id: UInt64, type: String, data: [UInt8], time: Date, isSynthetic: Bool = false) {
        self.id = id
        self.type = type
        self.payload = nil
        self.encoded = EncodedPayload(bytes: data)
        self.time = time
        self.isSynthetic = isSynthetic
    }

    /// An event whose JSON is encoded when first read, once, and shared by every reader: a feed
    /// nobody reads costs no encoding.
    init(id: UInt64, type: String, payload: some Encodable & Sendable, time: Date) {
        self.id = id
        self.type = type
        self.payload = payload
        self.encoded = EncodedPayload(payload)
        self.time = time
        self.isSynthetic = false
    }

    /// The payload as UTF-8 JSON (ISO 8601 dates, sorted keys, snake_case keys where the type says).
    public var data: [UInt8] { encoded.bytes }

    /// The payload as text.
    public var json: String { String(decoding: data, as: UTF8.self) }

    /// `time` in ISO 8601 with milliseconds, UTC (`2026-11-22T05:28:20.123Z`).
    public var timestamp: String { time.formatted(Self.timestampStyle) }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    public static func == (lhs: Event, rhs: Event) -> Bool {
        lhs.id == rhs.id && lhs.type == rhs.type && lhs.time == rhs.time && lhs.isSynthetic == rhs.isSynthetic
            && lhs.data == rhs.data
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(id)
        hasher.combine(type)
        hasher.combine(time)
    }
}

/// An event's JSON: given, or encoded from its payload on first use.
private final class EncodedPayload: Sendable {
    private enum Content {
        case bytes([UInt8])
        case pending(@Sendable () -> [UInt8])
    }

    private let content: Mutex<Content>

    init(bytes: [UInt8]) {
        content = Mutex(.bytes(bytes))
    }

    init(_ payload: some Encodable & Sendable) {
        content = Mutex(
            .pending {
                // Our payload types always encode; an object keeps readers' JSON parsers happy anyway.
                (try? EventBus.encoder().encode(payload)).map(Array.init) ?? Array("{}".utf8)
            })
    }

    var bytes: [UInt8] {
        content.withLock { content in
            switch content {
            case .bytes(let bytes):
                return bytes
            case .pending(let encode):
                let bytes = encode()
                content = .bytes(bytes)
                return bytes
            }
        }
    }
}
