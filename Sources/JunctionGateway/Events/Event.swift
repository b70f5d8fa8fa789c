import Foundation

/// One entry of the engine's event feed: what happened (`type`), its JSON payload, when, and a
/// monotonic id a reconnecting client resumes after (SSE `Last-Event-ID`).
public struct Event: Sendable, Hashable {
    /// Increases by one with each published event. Synthetic events repeat the id to resume after.
    public let id: UInt64
    /// Dotted name, such as `activity.tool_call.completed` (see ``EventType``).
    public let type: String
    /// The payload as UTF-8 JSON, encoded once when published and shared by every subscriber.
    public let data: [UInt8]
    public let time: Date
    /// Made by the bus for one subscriber (`stream.gap`, `stream.dropped`, `stream.closed`) rather
    /// than published: not in the history, and its id is the one to resume after.
    public let isSynthetic: Bool

    public init(id: UInt64, type: String, data: [UInt8], time: Date, isSynthetic: Bool = false) {
        self.id = id
        self.type = type
        self.data = data
        self.time = time
        self.isSynthetic = isSynthetic
    }

    /// The payload as text.
    public var json: String { String(decoding: data, as: UTF8.self) }

    /// `time` in ISO 8601 with milliseconds, UTC (`2026-11-22T05:28:20.123Z`).
    public var timestamp: String { time.formatted(Self.timestampStyle) }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
