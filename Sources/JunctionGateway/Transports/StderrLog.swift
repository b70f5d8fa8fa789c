import Foundation
import JunctionCore
import Synchronization

/// A downstream's stderr: the last lines in memory (for error messages and the admin API) and
/// everything in `$JUNCTION_HOME/logs/<server>.log` (rotated once past a size limit).
///
/// A server may print the secrets it was started with (a token in a stack trace): every line is
/// redacted with the auth scope's secret values before it is kept or written, so no excerpt in
/// an error, an audit record or the log shows them. Lines are therefore written whole; a line
/// longer than `maxLineBytes` is cut there (its start kept, as a line of its own).
///
/// A child's stderr is appended from its event loop, the log file written there too: an append
/// to a local file, and a server flooding stderr is read no faster than the file takes it.
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
    private let redactor: Redactor?
    private static let maxFileBytes: UInt64 = 10 * 1024 * 1024
    static let maxLineBytes = 8192

    init(logPath: String?, maxLines: Int = 200, secretValues: [String] = []) {
        self.logPath = logPath
        self.maxLines = maxLines
        let redactor = Redactor(secretValues: secretValues)
        self.redactor = secretValues.contains { $0.count >= Redactor.minimumSecretLength } ? redactor : nil
        var initial = State()
        if let logPath {
            initial.fileHandle = Self.open(logPath)
            initial.fileBytes = (try? initial.fileHandle?.seekToEnd()) ?? 0
        }
        state = Mutex(initial)
    }

    func append(_ chunk: [UInt8]) {
        state.withLock { state in
            // Each byte is looked at once: complete lines are taken by index, then the rest kept.
            var start = 0
            var complete: [String] = []
            while let newline = chunk[start...].firstIndex(of: 0x0A) {
                if state.partial.isEmpty {
                    complete.append(line(chunk[start..<newline]))
                } else {
                    state.partial += chunk[start..<newline]
                    complete.append(line(state.partial[...]))
                    state.partial.removeAll(keepingCapacity: true)
                }
                start = newline + 1
            }
            state.partial += chunk[start...]
            if state.partial.count > Self.maxLineBytes {  // a huge line without newline: keep its start only
                complete.append(line(state.partial.prefix(Self.maxLineBytes)))
                state.partial.removeAll()
            }
            for text in complete { keep(text, in: &state) }
        }
    }

    private func line(_ bytes: ArraySlice<UInt8>) -> String {
        let text = String(decoding: bytes.prefix(Self.maxLineBytes), as: UTF8.self)
        return redactor?.redact(text: text) ?? text
    }

    private func keep(_ line: String, in state: inout State) {
        state.lines.append(line)
        if state.lines.count > maxLines { state.lines.removeFirst(state.lines.count - maxLines) }
        guard let handle = state.fileHandle else { return }
        let bytes = Array(line.utf8) + [0x0A]
        try? handle.write(contentsOf: bytes)
        state.fileBytes += UInt64(bytes.count)
        if state.fileBytes > Self.maxFileBytes, let logPath {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: logPath + ".1")
            try? FileManager.default.moveItem(atPath: logPath, toPath: logPath + ".1")
            state.fileHandle = Self.open(logPath)
            state.fileBytes = 0
        }
    }

    /// The last `count` lines, oldest first (a line still without its newline last), redacted.
    func tail(_ count: Int = 20) -> [String] {
        state.withLock { state in
            var lines = Array(state.lines.suffix(count))
            if !state.partial.isEmpty {
                lines.append(line(state.partial[...]))
                if lines.count > count { lines.removeFirst() }
            }
            return lines
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
