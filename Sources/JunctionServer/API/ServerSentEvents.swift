import Foundation
import HTTPTypes
import Hummingbird
import JunctionStore
import NIOCore
import Synchronization

/// A text/event-stream response fed by a producer task, with heartbeats. The producer hands
/// events to a small bounded buffer; a reader that lets it fill is sent a final `stream.dropped`
/// event and disconnected, so a slow consumer never slows the engine. The stream ends when the
/// producer returns (the event bus closed, say) or the client goes away (the producer is then
/// cancelled).
enum ServerSentEvents {
    /// What a producer writes to. `send` returns false once the reader has fallen behind; the
    /// producer should then return.
    struct Sink: Sendable {
        fileprivate let continuation: AsyncStream<ByteBuffer>.Continuation
        fileprivate let dropped: Dropped

        @discardableResult
        func send(id: String?, event: String, data: some Collection<UInt8>) -> Bool {
            guard !dropped.isSet else { return false }
            switch continuation.yield(ServerSentEvents.frame(id: id, event: event, data: data)) {
            case .enqueued:
                return true
            case .dropped:
                dropped.set()
                return false
            case .terminated:
                return false
            @unknown default:
                return false
            }
        }
    }

    fileprivate final class Dropped: Sendable {
        private let value = Mutex(false)
        func set() { value.withLock { $0 = true } }
        var isSet: Bool { value.withLock { $0 } }
    }

    static let bufferSize = 256

    static func response(
        heartbeat: Duration = .seconds(15), produce: @escaping @Sendable (Sink) async -> Void
    ) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.xAccelBuffering] = "no"
        let body = ResponseBody { writer in
            let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(
                bufferingPolicy: .bufferingOldest(bufferSize))
            let dropped = Dropped()
            let sink = Sink(continuation: continuation, dropped: dropped)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Producers replay from the database: on its executor, never blocking the pool.
                group.addTask(executorPreference: AppDatabase.executor) {
                    await produce(sink)
                    continuation.finish()
                }
                group.addTask {
                    // Comments keep proxies and browsers from timing the stream out.
                    while !Task.isCancelled {
                        try await Task.sleep(for: heartbeat)
                        continuation.yield(ByteBuffer(string: ": ping\n\n"))
                    }
                }
                // The retry hint, then whatever the producer sends.
                try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
                for await buffer in stream {
                    if dropped.isSet { break }
                    try await writer.write(buffer)
                }
                group.cancelAll()
            }
            if dropped.isSet {
                let notice = #"{"reason":"the client read too slowly; reconnect with Last-Event-ID to resume"}"#
                try? await writer.write(frame(id: nil, event: "stream.dropped", data: Array(notice.utf8)))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: headers, body: body)
    }

    /// One event. Data is JSON on one line (JSON never needs a raw newline), so one `data:` field.
    static func frame(id: String?, event: String, data: some Collection<UInt8>) -> ByteBuffer {
        var buffer = ByteBuffer()
        if let id { buffer.writeString("id: \(id)\n") }
        buffer.writeString("event: \(event)\ndata: ")
        buffer.writeBytes(data.filter { $0 != 0x0A && $0 != 0x0D })
        buffer.writeString("\n\n")
        return buffer
    }

    /// The id to resume after: the `Last-Event-ID` header, else `?last_event_id=`.
    static func lastEventId(_ request: Request) -> String? {
        if let header = request.headers[.lastEventID], !header.isEmpty { return header }
        return request.uri.queryParameters["last_event_id"].map(String.init)
    }
}
