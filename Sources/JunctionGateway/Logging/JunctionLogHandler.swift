import Foundation
import Logging
import Synchronization

/// Writes log lines to stderr and to `$JUNCTION_HOME/logs/junction.log`. In stdio mode stdout is
/// the protocol, so nothing is ever logged there.
public struct JunctionLogHandler: LogHandler {
    /// Shared sinks: one file handle for every logger of the process.
    final class Sink: Sendable {
        private let file: Mutex<FileHandle?>
        let toStderr: Bool

        init(path: String?, toStderr: Bool) {
            self.toStderr = toStderr
            var handle: FileHandle?
            if let path {
                let directory = (path as NSString).deletingLastPathComponent
                try? FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                if fd >= 0 { handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true) }
            }
            file = Mutex(handle)
        }

        func write(_ line: String) {
            let data = Data(line.utf8)
            if toStderr { FileHandle.standardError.write(data) }
            file.withLock { try? $0?.write(contentsOf: data) }
        }
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let label: String
    private let sink: Sink

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Installs the handler for the whole process (call once, at startup).
    public static func bootstrap(logFile: String?, level: Logger.Level, toStderr: Bool = true) {
        let sink = Sink(path: logFile, toStderr: toStderr)
        LoggingSystem.bootstrap { label in JunctionLogHandler(label: label, level: level, sink: sink) }
    }

    init(label: String, level: Logger.Level, sink: Sink) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let details =
            merged.isEmpty
            ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        let timestamp = Date().formatted(.iso8601)
        sink.write("\(timestamp) \(event.level) \(label): \(event.message)\(details)\n")
    }
}
