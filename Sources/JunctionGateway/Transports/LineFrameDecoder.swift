import JunctionCore
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a downstream's stdout into newline-delimited messages, with a size limit: the decoder
/// of the stdout channel.
///
/// The rules are `LineFramer`'s: a trailing `\r` is removed, empty lines and lines of JSON
/// whitespace alone are skipped, and a line longer than `maxLineBytes` is dropped as it streams (the
/// channel's buffer never holds more than the limit and one read) and reported once, when it ends,
/// as `.oversized` with its size and its first and last `contextBytes` bytes, so the connection can
/// still tell which request it answered. A line is searched for its newline once, whatever the
/// reads it arrives in: framing costs time linear in its length.
struct LineFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = LineFramer.Frame

    let maxLineBytes: Int
    /// How many bytes of each end of an oversized line its frame keeps (0: none).
    let contextBytes: Int
    /// How many of the buffered bytes are known to hold no newline.
    private var scanned = 0
    /// The oversized line being dropped, while its end has not arrived.
    private var dropping: DroppedLine?

    private struct DroppedLine {
        var size: Int
        var head: [UInt8]
        /// Its last bytes seen, at most `2 * limit` of them, trimmed to `limit` when it ends.
        var tail: [UInt8]
        let limit: Int

        init(_ bytes: ByteBufferView, limit: Int) {
            size = bytes.count
            head = Array(bytes.prefix(limit))
            tail = Array(bytes.suffix(limit))
            self.limit = limit
        }

        mutating func append(_ bytes: ByteBufferView) {
            size += bytes.count
            guard limit > 0 else { return }
            tail.append(contentsOf: bytes.suffix(limit))
            if tail.count > 2 * limit { tail.removeFirst(tail.count - limit) }
        }

        var frame: LineFramer.Frame { .oversized(size, head: head, tail: Array(tail.suffix(limit))) }
    }

    init(maxLineBytes: Int, contextBytes: Int = 0) {
        self.maxLineBytes = max(1, maxLineBytes)
        self.contextBytes = max(0, min(contextBytes, self.maxLineBytes))
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = nextFrame(&buffer) else { return .needMoreData }
        if let frame { context.fireChannelRead(wrapInboundOut(frame)) }
        return .continue
    }

    /// At the end of the stream, a last line without its newline is a line too.
    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        if try decode(context: context, buffer: &buffer) == .continue { return .continue }
        let frame: LineFramer.Frame?
        if let dropped = dropping {
            frame = dropped.frame
        } else {
            frame = Self.line(buffer.readSlice(length: buffer.readableBytes) ?? ByteBuffer())
        }
        dropping = nil
        scanned = 0
        if let frame { context.fireChannelRead(wrapInboundOut(frame)) }
        return .needMoreData
    }

    /// The next frame: nil when more bytes are needed, `.some(nil)` when a line ended that makes
    /// no frame (a blank one). Consumes what it has read.
    mutating func nextFrame(_ buffer: inout ByteBuffer) -> LineFramer.Frame?? {
        let newline = Self.offsetOfNewline(in: buffer, from: scanned)
        if var dropped = dropping {
            let length = newline ?? buffer.readableBytes
            dropped.append(buffer.readableBytesView.prefix(length))
            buffer.moveReaderIndex(forwardBy: newline.map { $0 + 1 } ?? length)
            guard newline != nil else {
                dropping = dropped
                return nil
            }
            dropping = nil
            return .some(dropped.frame)
        }
        guard let newline else {
            scanned = buffer.readableBytes
            if scanned > maxLineBytes {  // too long already: dropped from here on, as it streams
                dropping = DroppedLine(buffer.readableBytesView, limit: contextBytes)
                buffer.moveReaderIndex(forwardBy: scanned)
                scanned = 0
            }
            return nil
        }
        scanned = 0
        defer { buffer.moveReaderIndex(forwardBy: 1) }
        if newline > maxLineBytes {
            let dropped = DroppedLine(buffer.readableBytesView.prefix(newline), limit: contextBytes)
            buffer.moveReaderIndex(forwardBy: newline)
            return .some(dropped.frame)
        }
        // `newline` readable bytes precede the newline, so the slice always exists.
        return .some(buffer.readSlice(length: newline).flatMap(Self.line))
    }

    /// A line's frame, without its trailing `\r`; nil for a blank line.
    private static func line(_ bytes: ByteBuffer) -> LineFramer.Frame? {
        var view = bytes.readableBytesView
        if view.last == 0x0D { view = view.dropLast() }
        guard view.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return nil }
        return .line(Array(view))
    }

    /// Where the first newline at or after `start` is, counted from the reader index.
    private static func offsetOfNewline(in buffer: ByteBuffer, from start: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard start < bytes.count, let base = bytes.baseAddress else { return nil }
            guard let found = memchr(base + start, 0x0A, bytes.count - start) else { return nil }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }
}
