import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension LocalAPIClient {
    /// One Server-Sent Event: its `id:`, `event:` (`message` when absent) and `data:` lines
    /// (joined by newlines).
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

    /// An open event stream: ``next()`` blocks until the next event. Comments (heartbeats) and
    /// `retry:` hints are skipped. The connection closes with ``close()`` or when the stream is
    /// released. Used by one thread.
    public final class EventStream {
        private var fd: Int32
        private let reader: HTTPResponseReader
        /// Body bytes received and not yet split into lines.
        private var pending: [UInt8] = []
        private var bodyEnded = false

        init(fd: Int32, reader: HTTPResponseReader) {
            self.fd = fd
            self.reader = reader
        }

        deinit {
            close()
        }

        /// The next event, or nil when the stream has ended (the daemon finished it, stopped, or
        /// went away). A read error other than the connection ending throws ``DaemonError``.
        public func next() throws -> ServerSentEvent? {
            var id: String?
            var event = "message"
            var data: [String] = []
            while let line = try nextLine() {
                if line.isEmpty {
                    if !data.isEmpty {
                        return ServerSentEvent(id: id, event: event, data: data.joined(separator: "\n"))
                    }
                    (id, event) = (nil, "message")
                    continue
                }
                if line.hasPrefix(":") { continue }
                let field: Substring
                var value: Substring
                if let colon = line.firstIndex(of: ":") {
                    field = line[..<colon]
                    value = line[line.index(after: colon)...]
                    if value.hasPrefix(" ") { value = value.dropFirst() }
                } else {
                    (field, value) = (line[...], "")
                }
                switch field {
                case "id": id = String(value)
                case "event": event = String(value)
                case "data": data.append(String(value))
                default: break
                }
            }
            return nil
        }

        /// Ends the connection; ``next()`` returns nil afterwards.
        public func close() {
            guard fd >= 0 else { return }
            closeDescriptor(fd)
            fd = -1
            bodyEnded = true
            pending = []
        }

        /// The next line of the body (LF, CRLF or CR ended), or nil at its end.
        private func nextLine() throws -> String? {
            var scanned = 0
            while true {
                if let end = pending[scanned...].firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                    // A CR at the very end may be the first half of a CRLF: wait for the next byte.
                    if pending[end] == 0x0D && end == pending.count - 1 && !bodyEnded {
                        scanned = end
                        _ = try receive()
                        continue
                    }
                    let line = String(decoding: pending[..<end], as: UTF8.self)
                    let skip = pending[end] == 0x0D && end + 1 < pending.count && pending[end + 1] == 0x0A ? 2 : 1
                    pending.removeFirst(end + skip)
                    return line
                }
                scanned = pending.count
                guard try receive() else {
                    guard !pending.isEmpty else { return nil }
                    defer { pending = [] }
                    return String(decoding: pending, as: UTF8.self)
                }
            }
        }

        /// Appends the next piece of the body; false once it has ended.
        private func receive() throws -> Bool {
            guard !bodyEnded, fd >= 0 else {
                bodyEnded = true
                return false
            }
            do {
                guard let piece = try reader.nextBodyPiece() else {
                    bodyEnded = true
                    return false
                }
                pending += piece
                return true
            } catch HTTPResponseReader.Failure.truncated {
                bodyEnded = true
                return false
            } catch HTTPResponseReader.Failure.readFailed(let code) where code == ECONNRESET || code == EBADF {
                bodyEnded = true
                return false
            } catch let failure as HTTPResponseReader.Failure {
                throw DaemonError.unreachable("the Junction daemon's event stream could not be read: \(failure)")
            }
        }
    }
}

/// `close(2)`, out of reach of ``LocalAPIClient/EventStream/close()``'s name.
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
