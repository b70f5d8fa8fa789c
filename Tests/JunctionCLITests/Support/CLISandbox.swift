import Foundation
import Synchronization
import Testing

/// A fresh JUNCTION_HOME (and a working folder and HOME beside it) in a temporary folder, and a way
/// to run the built `junction` binary against it as a real process. Removed when the last
/// reference goes away (a suite instance holds one for the duration of each test).
final class CLISandbox: Sendable {
    /// The temporary folder holding everything below.
    let root: String
    /// JUNCTION_HOME, created by the CLI on first use.
    let home: String
    /// The child's current folder, for relative paths.
    let work: String

    init() throws {
        root = (FileManager.default.temporaryDirectory.path as NSString)
            .appendingPathComponent("junction-cli-tests-\(UUID().uuidString)")
        home = (root as NSString).appendingPathComponent("home")
        work = (root as NSString).appendingPathComponent("work")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    var databasePath: String { (home as NSString).appendingPathComponent("junction.db") }

    func path(_ relative: String) -> String { (root as NSString).appendingPathComponent(relative) }

    /// What a finished `junction` process left behind.
    struct Result: Sendable, CustomStringConvertible {
        var exitCode: Int32
        var stdout: String
        var stderr: String

        var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast() }
        var description: String { "exit \(exitCode)\n--- stdout\n\(stdout)--- stderr\n\(stderr)" }

        /// The stdout parsed as JSON.
        func json() throws -> Any {
            try JSONSerialization.jsonObject(with: Data(stdout.utf8))
        }
    }

    /// Every result so far, so tests can check that a secret never appeared in any output.
    let history = Mutex<[Result]>([])

    /// Runs `junction ARGS` with JUNCTION_HOME set to `home` (unless `setHome` is false) plus `env`,
    /// and checks that it exited normally without a crash report.
    @discardableResult
    func run(
        _ arguments: [String], env: [String: String] = [:], setHome: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Result {
        let executable = try #require(
            Self.executable, "the junction binary was not found next to the tests nor in .build/debug",
            sourceLocation: sourceLocation)
        var environment = [
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
            "HOME": root,
            "LANG": "C.UTF-8",
        ]
        if setHome { environment["JUNCTION_HOME"] = home }
        environment.merge(env) { _, new in new }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = URL(fileURLWithPath: work)
        process.standardInput = FileHandle.nullDevice
        let stdoutPipe = Pipe()
        let stderrPipe = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()

        // Both pipes are drained at once, each on its own thread, so a child that fills one pipe
        // while we wait on the other cannot deadlock.
        let stderrReader = PipeReader(stderrPipe.fileHandleForReading)
        let stdoutReader = PipeReader(stdoutPipe.fileHandleForReading)
        let stdout = stdoutReader.wait()
        let stderr = stderrReader.wait()
        process.waitUntilExit()

        let result = Result(
            exitCode: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
        history.withLock { $0.append(result) }
        #expect(
            process.terminationReason == .exit, "junction was killed by a signal: \(result)",
            sourceLocation: sourceLocation)
        for marker in ["Fatal error", "Stack dump", "Current stack trace", "Segmentation fault"] {
            #expect(
                !result.stderr.contains(marker), "crash report in stderr: \(result)", sourceLocation: sourceLocation)
        }
        return result
    }

    /// Runs a command that must succeed; returns its stdout.
    @discardableResult
    func ok(
        _ arguments: [String], env: [String: String] = [:], setHome: Bool = true,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try run(arguments, env: env, setHome: setHome, sourceLocation: sourceLocation)
        #expect(
            result.exitCode == 0, "junction \(arguments.joined(separator: " ")): \(result)",
            sourceLocation: sourceLocation)
        #expect(result.stderr.isEmpty, "unexpected stderr: \(result)", sourceLocation: sourceLocation)
        return result.stdout
    }

    /// Runs a command that must fail as a user error: exit 1, nothing on stdout, exactly one line on
    /// stderr starting with "junction: " and containing every fragment. Returns that line.
    @discardableResult
    func fails(
        _ arguments: [String], _ fragments: String..., env: [String: String] = [:],
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let result = try run(arguments, env: env, sourceLocation: sourceLocation)
        #expect(result.exitCode == 1, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, "\(result)", sourceLocation: sourceLocation)
        #expect(result.stderrLines.count == 1, "expected one line on stderr: \(result)", sourceLocation: sourceLocation)
        let line = String(result.stderrLines.first ?? "")
        #expect(line.hasPrefix("junction: "), "\(result)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(line.contains(fragment), "'\(line)' lacks '\(fragment)'", sourceLocation: sourceLocation)
        }
        return line
    }

    /// Runs a command with `--json` and returns the parsed object.
    func jsonObject(
        _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [String: Any] {
        let stdout = try ok(arguments, sourceLocation: sourceLocation)
        return try #require(
            try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [String: Any], "not a JSON object: \(stdout)",
            sourceLocation: sourceLocation)
    }

    /// Runs a command with `--json` and returns the parsed array of objects.
    func jsonArray(
        _ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [[String: Any]] {
        let stdout = try ok(arguments, sourceLocation: sourceLocation)
        return try #require(
            try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as? [[String: Any]],
            "not a JSON array: \(stdout)", sourceLocation: sourceLocation)
    }

    /// The `junction` binary built with the tests: next to the test bundle (SwiftPM puts products
    /// and test bundles in one folder), else `.build/debug/junction` under the repository root.
    static let executable: String? = {
        var candidates: [String] = []
        let running =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? Bundle.main.executablePath ?? CommandLine.arguments[0]
        // Linux: .build/<triple>/debug/JunctionPackageTests.xctest; macOS adds Contents/MacOS.
        var folder = URL(fileURLWithPath: running).deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(folder.appendingPathComponent("junction").path)
            folder = folder.deletingLastPathComponent()
        }
        // Tests/JunctionCLITests/Support/CLISandbox.swift → the repository root.
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        candidates.append(repository.appendingPathComponent(".build/debug/junction").path)
        return candidates.first { candidate in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory)
                && !isDirectory.boolValue && FileManager.default.isExecutableFile(atPath: candidate)
        }
    }()
}

/// Reads a pipe to its end on a dedicated thread (not the cooperative pool, which blocking reads
/// could starve on a small machine).
private final class PipeReader: Sendable {
    private let data = Mutex(Data())
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            let bytes = handle.readDataToEndOfFile()
            data.withLock { $0 = bytes }
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data.withLock { $0 }
    }
}
