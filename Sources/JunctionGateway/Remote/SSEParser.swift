/// An incremental parser of `text/event-stream` bodies (the WHATWG server-sent events format), fed
/// chunks as they arrive, cut anywhere.
///
/// Lines end with CRLF, LF or CR (a CR ending one chunk and an LF starting the next are one line
/// end); a line starting with `:` is a comment; `data` lines of one event are joined with LF; an
/// event is dispatched at a blank line, and only if it has data; `id` (unless it contains NUL)
/// sets the last event id, kept across events as the spec says; `retry` (digits only) sets the
/// reconnection delay; a leading byte order mark is skipped. An event that has not ended when the
/// stream does is discarded (`finish`).
public struct SSEParser: Sendable {
    public struct Event: Sendable, Hashable {
        /// The `event` field; `message` when none was given.
        public var type: String = "message"
        public var data: String
        /// The last event id when this event was dispatched (nil when none was ever set).
        public var id: String?
    }

    /// A line or an event's data grew past the limit.
    public struct TooLarge: Error, Sendable {
        public let limit: Int
    }

    public let maxEventBytes: Int
    /// The last event id seen (sent back as `Last-Event-ID` on reconnection); nil when none.
    public private(set) var lastEventId: String?
    /// The reconnection delay the server asked for, in milliseconds.
    public private(set) var retry: Int?

    private var line: [UInt8] = []
    private var data: [UInt8] = []
    private var hasData = false
    private var type: String?
    private var idBuffer: String?
    private var afterCR = false
    private var bomMatched = 0
    private static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    public init(maxEventBytes: Int = 64 * 1024 * 1024) {
        self.maxEventBytes = maxEventBytes
    }

    /// Takes the next chunk; returns the events it completed, in order.
    public mutating func feed(_ chunk: some Sequence<UInt8>) throws(TooLarge) -> [Event] {
        var events: [Event] = []
        for byte in chunk {
            if bomMatched < Self.byteOrderMark.count {
                if byte == Self.byteOrderMark[bomMatched] {
                    bomMatched += 1
                    continue
                }
                // Not a byte order mark after all: what looked like its start is text.
                line.append(contentsOf: Self.byteOrderMark.prefix(bomMatched))
                bomMatched = Self.byteOrderMark.count
            }
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            switch byte {
            case 0x0A:
                if let event = endLine() { events.append(event) }
            case 0x0D:
                afterCR = true
                if let event = endLine() { events.append(event) }
            default:
                line.append(byte)
                guard line.count + data.count <= maxEventBytes else { throw TooLarge(limit: maxEventBytes) }
            }
        }
        return events
    }

    /// The stream ended: an event not ended by a blank line is dropped (the spec's rule).
    public mutating func finish() {
        line.removeAll()
        resetEvent()
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }
        let field: [UInt8]
        var value: ArraySlice<UInt8>
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            field = Array(line[..<colon])
            value = line[(colon + 1)...]
            if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        } else {
            field = line
            value = []
        }
        switch String(decoding: field, as: UTF8.self) {
        case "event":
            type = String(decoding: value, as: UTF8.self)
        case "data":
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        case "id":
            if !value.contains(0) { idBuffer = String(decoding: value, as: UTF8.self) }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ (0x30...0x39).contains($0) }),
                let milliseconds = Int(String(decoding: value, as: UTF8.self))
            {
                retry = milliseconds
            }
        default:
            break  // unknown fields are ignored
        }
        return nil
    }

    private mutating func dispatch() -> Event? {
        if let idBuffer { lastEventId = idBuffer.isEmpty ? nil : idBuffer }
        defer { resetEvent() }
        guard hasData else { return nil }
        return Event(
            type: type.flatMap { $0.isEmpty ? nil : $0 } ?? "message", data: String(decoding: data, as: UTF8.self),
            id: lastEventId)
    }

    private mutating func resetEvent() {
        data.removeAll(keepingCapacity: true)
        hasData = false
        type = nil
        idBuffer = nil
    }
}
