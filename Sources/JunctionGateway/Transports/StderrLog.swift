import Foundation
import Synchronization

/// A downstream's stderr: the last lines in memory (for error messages and the admin API) and
/// everything in `$JUNCTION_HOME/logs/<server>.log` (rotated once past a size limit).
final class StderrLog: Sendable {
    private struct State {
        var lines: [String] = []
        var partial: [UInt8] = []
        var fileHandle: FileHandle?
        var fileBytes: UInt64 = 0
    }

    private let state: Mutex<State>
    private let maxLines: Int
    private let logPath: String?
    private static let maxFileBytes: UInt64 = 10 * 1024 * 1024

    init(logPath: String?, maxLines: Int = 200) {
        self.logPath = logPath
        self.maxLines = maxLines
        var initial = State()
        if let logPath {
            initial.fileHandle = Self.open(logPath)
            initial.fileBytes = (try? initial.fileHandle?.seekToEnd()) ?? 0
        }
        state = Mutex(initial)
    }

    func append(_ chunk: [UInt8]) {
        state.withLock { state in
            if let handle = state.fileHandle {
                try? handle.write(contentsOf: chunk)
                state.fileBytes += UInt64(chunk.count)
                if state.fileBytes > Self.maxFileBytes, let logPath {
                    try? handle.close()
                    try? FileManager.default.removeItem(atPath: logPath + ".1")
                    try? FileManager.default.moveItem(atPath: logPath, toPath: logPath + ".1")
                    state.fileHandle = Self.open(logPath)
                    state.fileBytes = 0
                }
            }
            state.partial += chunk
            while let newline = state.partial.firstIndex(of: 0x0A) {
                let line = String(decoding: state.partial[..<newline], as: UTF8.self)
                state.partial.removeSubrange(...newline)
                state.lines.append(line)
            }
            if state.partial.count > 8192 {  // a huge line without newline: keep its start only
                state.lines.append(String(decoding: state.partial.prefix(8192), as: UTF8.self))
                state.partial.removeAll()
            }
            if state.lines.count > maxLines { state.lines.removeFirst(state.lines.count - maxLines) }
        }
    }

    /// The last `count` lines, oldest first.
    func tail(_ count: Int = 20) -> [String] {
        state.withLock { state in
            var lines = state.lines
            if !state.partial.isEmpty { lines.append(String(decoding: state.partial, as: UTF8.self)) }
            return Array(lines.suffix(count))
        }
    }

    private static func open(_ path: String) -> FileHandle? {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return nil }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }
}
