import Foundation
import Testing

/// A temporary HOME (with JUNCTION_HOME inside) and a way to run the built `junction` binary in it,
/// one process at a time or several at once. Removed when the last reference goes away.
final class InstallSandbox: Sendable {
    let root: String
    let home: String

    init() throws {
        root = (FileManager.default.temporaryDirectory.path as NSString)
            .appendingPathComponent("junction-install-tests-\(UUID().uuidString)")
        home = (root as NSString).appendingPathComponent(".junction")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    struct Result: Sendable, CustomStringConvertible {
        var exitCode: Int32
        var stdout: String
        var stderr: String
        var description: String { "exit \(exitCode)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }
    }

    /// Runs every argument list as its own process, all at once, and waits for them all.
    func runAll(_ invocations: [[String]], sourceLocation: SourceLocation = #_sourceLocation) throws -> [Result] {
        let executable = try #require(
            Self.executable, "the junction binary was not found", sourceLocation: sourceLocation)
        var running: [(Process, URL, URL)] = []
        for arguments in invocations {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = [
                "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": root,
                "JUNCTION_HOME": home, "LANG": "C.UTF-8",
            ]
            process.currentDirectoryURL = URL(fileURLWithPath: root)
            process.standardInput = FileHandle.nullDevice
            // Files, not pipes: no reader threads needed while several processes run.
            let out = URL(fileURLWithPath: path(".out-\(UUID().uuidString)"))
            let err = URL(fileURLWithPath: path(".err-\(UUID().uuidString)"))
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
            running.append((process, out, err))
        }
        return try running.map { process, out, err in
            process.waitUntilExit()
            defer {
                try? FileManager.default.removeItem(at: out)
                try? FileManager.default.removeItem(at: err)
            }
            let result = Result(
                exitCode: process.terminationStatus, stdout: try String(contentsOf: out, encoding: .utf8),
                stderr: try String(contentsOf: err, encoding: .utf8))
            #expect(process.terminationReason == .exit, "killed by a signal: \(result)", sourceLocation: sourceLocation)
            return result
        }
    }

    @discardableResult
    func run(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Result {
        try #require(try runAll([arguments], sourceLocation: sourceLocation).first)
    }

    /// Runs a command that must succeed with nothing on stderr; returns its stdout.
    @discardableResult
    func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try run(arguments, sourceLocation: sourceLocation)
        #expect(
            result.exitCode == 0 && result.stderr.isEmpty, "\(arguments): \(result)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Runs a command that must fail with exit 1 and one `junction: …` line holding every fragment.
    @discardableResult
    func fails(
        _ arguments: [String], _ fragments: String..., sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try run(arguments, sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n")
        #expect(
            result.exitCode == 1 && result.stdout.isEmpty && lines.count == 1, "\(result)",
            sourceLocation: sourceLocation)
        let line = String(lines.first ?? "")
        #expect(line.hasPrefix("junction: "), "\(result)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(line.contains(fragment), "'\(line)' lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
        return line
    }

    func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(try ok(arguments, sourceLocation: sourceLocation).utf8))
    }

    func write(_ relative: String, _ text: String, mode: Int? = nil) throws {
        let target = path(relative)
        try FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        if let mode { try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: target) }
    }

    func read(_ relative: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path(relative))), as: UTF8.self)
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    func mode(_ relative: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path(relative))
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    /// Backups of a file (relative paths), sorted.
    func backups(of relative: String) throws -> [String] {
        let folder = (relative as NSString).deletingLastPathComponent
        let name = (relative as NSString).lastPathComponent
        return try FileManager.default.contentsOfDirectory(atPath: path(folder))
            .filter { $0.hasPrefix(name + ".junction-backup-") }.sorted()
            .map { (folder as NSString).appendingPathComponent($0) }
    }

    /// The built binary's real path: the command every entry runs.
    static let executable: String? = {
        let running =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
        var folder = URL(fileURLWithPath: running).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("junction").path
            if FileManager.default.isExecutableFile(atPath: candidate) {
                return URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path
            }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }()
}
