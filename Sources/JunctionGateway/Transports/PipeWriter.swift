import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Writes messages to a pipe in order without ever blocking the caller.
///
/// The common case, a message that fits in the pipe's buffer, is written directly from the
/// calling thread with a non-blocking write (no thread hop on the hot path). Whatever does not fit
/// is queued and finished by a serial queue that waits for the pipe to drain; while anything is
/// queued, later messages queue behind it so order is kept.
final class PipeWriter: Sendable {
    private struct State {
        var queued = 0
        var open = true
    }

    private let fd: Int32
    private let closeOnFinish: Bool
    private let state = Mutex(State())
    private let queue: DispatchQueue
    private let originalFlags: Int32

    init(fd: Int32, label: String, closeOnFinish: Bool) {
        self.fd = fd
        self.closeOnFinish = closeOnFinish
        self.queue = DispatchQueue(label: label)
        originalFlags = fcntl(fd, F_GETFL)
        if originalFlags >= 0 { _ = fcntl(fd, F_SETFL, originalFlags | O_NONBLOCK) }
    }

    var isOpen: Bool { state.withLock { $0.open } }

    /// Queues or writes `bytes`; false when the pipe is closed (the reader went away).
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        enum Outcome {
            case closed
            case done
            case queue(from: Int)
        }
        let outcome = state.withLock { state -> Outcome in
            guard state.open else { return .closed }
            if state.queued == 0 {
                // Written under the lock so two direct writers cannot interleave their bytes.
                let written = Self.writeSome(fd, bytes, from: 0)
                if written < 0 {
                    state.open = false
                    return .closed
                }
                if written == bytes.count { return .done }
                state.queued += 1
                return .queue(from: written)
            }
            state.queued += 1
            return .queue(from: 0)
        }
        switch outcome {
        case .closed:
            return false
        case .done:
            return true
        case .queue(let offset):
            queue.async { [self] in
                finish(bytes, from: offset)
                state.withLock { $0.queued -= 1 }
            }
            return true
        }
    }

    /// Waits until everything queued has been written (or the pipe broke), then gives the file
    /// back its original blocking mode (a terminal left non-blocking would upset the shell).
    func drain() {
        queue.sync {}
        if originalFlags >= 0 { _ = fcntl(fd, F_SETFL, originalFlags) }
    }

    /// Closes the pipe after everything queued is written.
    func close() {
        let wasOpen = state.withLock { state -> Bool in
            defer { state.open = false }
            return state.open
        }
        guard wasOpen, closeOnFinish else { return }
        let fd = fd
        queue.async { _ = Glibc.close(fd) }
    }

    /// Blocks (on the writer queue) until all of `bytes` is written or the pipe breaks.
    private func finish(_ bytes: [UInt8], from start: Int) {
        var offset = start
        while offset < bytes.count {
            guard state.withLock({ $0.open }) || !closeOnFinish else { return }
            let written = Self.writeSome(fd, bytes, from: offset)
            if written > 0 {
                offset += written
            } else if written == 0 {
                var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&descriptor, 1, 1000)
            } else {
                state.withLock { $0.open = false }  // EPIPE: the reader is gone
                return
            }
        }
    }

    /// Bytes written (0 when the pipe is full), or -1 when the pipe is broken.
    private static func writeSome(_ fd: Int32, _ bytes: [UInt8], from offset: Int) -> Int {
        while true {
            let written = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.write(fd, base + offset, buffer.count - offset)
            }
            if written >= 0 { return written }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return 0 }
            return -1
        }
    }
}
