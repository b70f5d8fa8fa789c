import Foundation
import JunctionStore

/// `$JUNCTION_HOME/daemon.json`: how to reach the running daemon (written once its HTTP
/// listener is up, removed on shutdown). Holds no secret.
public struct DaemonInfo: Codable, Sendable, Equatable {
    public var pid: Int32
    public var version: String
    /// `http://host:port` of the web UI and API.
    public var url: String
    public var socket: String
    public var startedAt: Date

    enum CodingKeys: String, CodingKey {
        case pid, version, url, socket
        case startedAt = "started_at"
    }

    public init(pid: Int32, version: String, url: String, socket: String, startedAt: Date) {
        self.pid = pid
        self.version = version
        self.url = url
        self.socket = socket
        self.startedAt = startedAt
    }

    public static func path(_ home: JunctionHome) -> String { home.file("daemon.json") }

    public static func read(_ home: JunctionHome) -> DaemonInfo? {
        guard let data = FileManager.default.contents(atPath: path(home)) else { return nil }
        return try? APICoding.decoder.decode(DaemonInfo.self, from: data)
    }

    func write(_ home: JunctionHome) throws {
        let data = try APICoding.encoder.encode(self)
        let temporary = Self.path(home) + ".tmp"
        _ = FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600])
        guard rename(temporary, Self.path(home)) == 0 else {
            throw DaemonError.cannotListen("cannot write \(Self.path(home)): \(String(cString: strerror(errno)))")
        }
    }

    /// The UI's address with the key, for `junction serve` and `junction ui` to print.
    public func signInURL(apiKey: String) -> String { "\(url)/?apikey=\(apiKey)" }
}
