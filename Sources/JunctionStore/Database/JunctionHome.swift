import Foundation

/// The folder holding Junction's state: `junction.db`, `secret.key`, `api-key`, `junction.sock`
/// and `logs/`. Chosen by `--home`, else `JUNCTION_HOME`, else `~/.junction`.
public struct JunctionHome: Sendable, Hashable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// Resolves the home folder from an explicit option, the environment, or the default.
    public static func resolve(
        explicit: String? = nil,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> JunctionHome {
        let cwd = FileManager.default.currentDirectoryPath
        if let explicit, !explicit.isEmpty { return JunctionHome(path: absolute(explicit, cwd: cwd)) }
        if let env = environment["JUNCTION_HOME"], !env.isEmpty { return JunctionHome(path: absolute(env, cwd: cwd)) }
        let userHome = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return JunctionHome(path: (userHome as NSString).appendingPathComponent(".junction"))
    }

    public var databasePath: String { file("junction.db") }
    public var secretKeyPath: String { file("secret.key") }
    public var apiKeyPath: String { file("api-key") }
    public var socketPath: String { file("junction.sock") }
    public var logsPath: String { file("logs") }

    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Creates the folder (0700) if it is missing. An existing folder's permissions are left alone.
    public func ensureExists() throws(StoreError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw .database("JUNCTION_HOME '\(path)' exists and is not a folder")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .database("cannot create JUNCTION_HOME '\(path)': \(error.localizedDescription)")
        }
    }

    private static func absolute(_ path: String, cwd: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        if expanded.hasPrefix("/") { return expanded }
        return (cwd as NSString).appendingPathComponent(expanded)
    }
}
