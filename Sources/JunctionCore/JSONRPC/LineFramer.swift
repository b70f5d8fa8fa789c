#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into newline-delimited messages, with a size limit.
///
/// A line longer than the limit is discarded as it streams (memory stays bounded) and reported
/// once as `.oversized`, so the session can answer with an error and carry on.
///
/// Each byte is looked at a bounded number of times whatever the chunking (memchr over each new
/// chunk, one append into the line buffer): framing a line costs time linear in its length.
public struct LineFramer: Sendable {
    public enum Frame: Sendable, Hashable {
        case line([UInt8])
        /// A line of at least this many bytes was dropped. `head` and `tail` are its first and last
        /// bytes when the framer keeps them (`oversizedContextBytes`), so the reader can still tell
        /// which request a dropped response answered.
        case oversized(Int, head: [UInt8] = [], tail: [UInt8] = [])
    }

    public let maxLineBytes: Int
    /// How many bytes of each end of an oversized line are kept for its frame (0: none).
    public let oversizedContextBytes: Int
    private var buffer: [UInt8] = []
    private var discarding = false
    private var discardedBytes = 0
    private var discardedHead: [UInt8] = []
    /// The last bytes of the line being discarded, as a ring of `oversizedContextBytes` bytes.
    private var discardedTail: [UInt8] = []
    private var discardedTailStart = 0

    public init(maxLineBytes: Int = 64 * 1024 * 1024, oversizedContextBytes: Int = 0) {
        self.maxLineBytes = max(1, maxLineBytes)
        self.oversizedContextBytes = max(0, min(oversizedContextBytes, self.maxLineBytes))
    }

    /// Feeds bytes; returns the complete frames they finish, in order. Empty lines and lines of
    /// JSON whitespace alone are skipped, and a trailing `\r` is removed.
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
                frames.append(endDiscarding())
            } else {
                if buffer.last == 0x0D { buffer.removeLast() }
                if !Self.isBlank(buffer) { frames.append(.line(buffer)) }
            }
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
        }
        return frames
    }

    /// What is left when the stream ends: a final line without a newline, if any.
    public mutating func finish() -> Frame? {
        defer { buffer = [] }
        if discarding { return endDiscarding() }
        if buffer.last == 0x0D { buffer.removeLast() }
        return Self.isBlank(buffer) ? nil : .line(buffer)
    }

    /// Whether a line holds JSON whitespace alone (or nothing): no message, nothing to answer.
    /// Stops at the first other byte, which for a message is its first.
    private static func isBlank(_ line: [UInt8]) -> Bool {
        for byte in line {
            switch byte {
            case 0x20, 0x09, 0x0D: continue
            default: return false
            }
        }
        return true
    }

    private mutating func take(_ bytes: UnsafeBufferPointer<UInt8>.SubSequence) {
        if discarding {
            discardedBytes += bytes.count
            keepTail(bytes)
            return
        }
        if buffer.count + bytes.count > maxLineBytes {
            discarding = true
            discardedBytes = buffer.count + bytes.count
            if oversizedContextBytes > 0 {
                discardedHead = Array(buffer.prefix(oversizedContextBytes))
                if discardedHead.count < oversizedContextBytes {
                    discardedHead += bytes.prefix(oversizedContextBytes - discardedHead.count)
                }
                discardedTail = []
                discardedTailStart = 0
                keepTail(buffer[...])
                keepTail(bytes)
            }
            buffer.removeAll()
            return
        }
        buffer.append(contentsOf: bytes)
    }

    /// Keeps the last `oversizedContextBytes` bytes seen of the line being discarded.
    private mutating func keepTail(_ bytes: some Collection<UInt8>) {
        let limit = oversizedContextBytes
        guard limit > 0 else { return }
        // Only the chunk's last `limit` bytes can survive: older ones are overwritten anyway.
        for byte in bytes.suffix(limit) {
            if discardedTail.count < limit {
                discardedTail.append(byte)
            } else {
                discardedTail[discardedTailStart] = byte
                discardedTailStart = (discardedTailStart + 1) % limit
            }
        }
    }

    private mutating func endDiscarding() -> Frame {
        let tail = Array(discardedTail[discardedTailStart...] + discardedTail[..<discardedTailStart])
        let frame = Frame.oversized(discardedBytes, head: discardedHead, tail: tail)
        discarding = false
        discardedBytes = 0
        discardedHead = []
        discardedTail = []
        discardedTailStart = 0
        return frame
    }
}
