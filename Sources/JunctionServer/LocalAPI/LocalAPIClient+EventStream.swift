import AsyncHTTPClient
import JunctionGateway
import JunctionStore
import NIOCore
import NIOHTTP1

extension LocalAPIClient {
    /// One Server-Sent Event: its type (`message` when the stream named none), its data (`data:`
    /// lines joined by newlines) and the last event id the stream has set (the spec's rule: an
    /// id lasts until another one is sent).
    public struct ServerSentEvent: Sendable, Equatable {
        public var id: String?
        public var event: String
        public var data: String

        public init(id: String?, event: String, data: String) {
            self.id = id
            self.event = event
            self.data = data
        }
    }

    /// An open event stream, read with `for try await`. Comments (heartbeats) and `retry:` hints
    /// are skipped. It ends (nil) when the daemon finishes it, stops or goes away; a daemon that
    /// sends nothing, not even its heartbeat, for the client's read timeout ends it with a
    /// ``DaemonError``. Leaving the loop closes the connection.
    public struct EventStream: AsyncSequence, Sendable {
        public typealias Element = ServerSentEvent

        let body: HTTPClientResponse.Body
        let home: JunctionHome

        public func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(chunks: body.makeAsyncIterator(), home: home)
        }

        public struct AsyncIterator: AsyncIteratorProtocol {
            private var chunks: HTTPClientResponse.Body.AsyncIterator
            private let home: JunctionHome
            private var parser = SSEParser(maxEventBytes: LocalAPIClient.bodyLimit)
            /// Events parsed from the last chunk and not yet returned.
            private var ready: [ServerSentEvent] = []
            private var ended = false

            init(chunks: HTTPClientResponse.Body.AsyncIterator, home: JunctionHome) {
                self.chunks = chunks
                self.home = home
            }

            public mutating func next() async throws -> ServerSentEvent? {
                while ready.isEmpty {
                    guard !ended, let chunk = try await nextChunk() else {
                        parser.finish()
                        ended = true
                        return nil
                    }
                    do {
                        ready = try parser.feed(chunk.readableBytesView).reversed().map {
                            ServerSentEvent(id: $0.id, event: $0.type, data: $0.data)
                        }
                    } catch {
                        ended = true
                        throw DaemonError.unreachable(
                            "the Junction daemon sent an event larger than \(error.limit) bytes; the stream was closed")
                    }
                }
                return ready.popLast()
            }

            /// The next piece of the body, or nil once it has ended, cleanly or not: a daemon
            /// that stopped or was killed ends its streams.
            private mutating func nextChunk() async throws -> ByteBuffer? {
                do {
                    return try await chunks.next()
                } catch let error as HTTPClientError where error == .remoteConnectionClosed {
                    return nil
                } catch HTTPParserError.invalidEOFState {
                    // The connection ended inside a chunk: the daemon was killed.
                    return nil
                } catch let error as HTTPClientError where error == .readTimeout {
                    ended = true
                    throw DaemonError.unreachable(
                        "the Junction daemon stopped answering on its event stream (not even a heartbeat); "
                            + "see \(home.logsPath)/daemon.log")
                } catch let error as CancellationError {
                    throw error
                } catch {
                    ended = true
                    throw DaemonError.unreachable("the Junction daemon's event stream could not be read: \(error)")
                }
            }
        }
    }
}
