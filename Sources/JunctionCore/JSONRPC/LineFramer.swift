#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into newline-delimited messages, with a size limit.
///
/// A line longer than the limit is discarded as it streams (memory stays bounded) and reported
/// once as `.oversized`, so the session can answer with an error and carry on.
public struct LineFramer: Sendable {
    public enum Frame: Sendable, Hashable {
        case line([UInt8])
        /// A line of at least this many bytes was dropped.
        case oversized(Int)
    }

    public let maxLineBytes: Int
    private var buffer: [UInt8] = []
    private var discarding = false
    private var discardedBytes = 0

    public init(maxLineBytes: Int = 64 * 1024 * 1024) {
        self.maxLineBytes = max(1, maxLineBytes)
    }

    /// Feeds bytes; returns the complete frames they finish, in order. Empty lines are skipped and
    /// a trailing `\r` is removed.
    public mutating func append(_ chunk: some Collection<UInt8>) -> [Frame] {
        // Contiguous bytes (what readers pass) are scanned with memchr: generic code called from
        // another module is not specialised and costs a witness call per byte.
        let frames = chunk.withContiguousStorageIfAvailable { append(contiguous: $0) }
        return frames ?? Array(chunk).withUnsafeBufferPointer { append(contiguous: $0) }
    }

    private mutating func append(contiguous chunk: UnsafeBufferPointer<UInt8>) -> [Frame] {
        var frames: [Frame] = []
        guard let base = chunk.baseAddress else { return frames }
        var rest = chunk[...]
        while !rest.isEmpty {
            guard let found = memchr(base + rest.startIndex, 0x0A, rest.count) else {
                take(rest)
                break
            }
            let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            take(rest[..<newline])
            rest = rest[(newline + 1)...]
            if discarding {
                frames.append(.oversized(discardedBytes))
                discarding = false
                discardedBytes = 0
            } else {
                if buffer.last == 0x0D { buffer.removeLast() }
                if !buffer.isEmpty { frames.append(.line(buffer)) }
            }
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
        }
        return frames
    }

    /// What is left when the stream ends: a final line without a newline, if any.
    public mutating func finish() -> Frame? {
        defer {
            buffer = []
            discarding = false
            discardedBytes = 0
        }
        if discarding { return .oversized(discardedBytes) }
        if buffer.last == 0x0D { buffer.removeLast() }
        return buffer.isEmpty ? nil : .line(buffer)
    }

    private mutating func take(_ bytes: some Collection<UInt8>) {
        if discarding {
            discardedBytes += bytes.count
            return
        }
        if buffer.count + bytes.count > maxLineBytes {
            discarding = true
            discardedBytes = buffer.count + bytes.count
            buffer.removeAll()
            return
        }
        buffer.append(contentsOf: bytes)
    }
}
