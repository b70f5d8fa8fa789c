import JunctionStore

/// The HTTP listener's settings, read once as the daemon starts (`JUNCTION_<KEY>` variables
/// override stored values, as for every setting).
struct HTTPSettings: Sendable, Equatable {
    /// `http_idle_timeout_sec`: a connection without a complete request for this long is closed.
    var idleTimeout: Duration
    /// `http_max_connections`, before the open-file limit bounds it.
    var maxConnections: Int
    /// `allowed_hosts`: Host names answered besides loopback ones.
    var allowedHosts: [String]

    static func read(database: AppDatabase, environment: [String: String]? = nil) throws -> HTTPSettings {
        let repository =
            environment.map { SettingsRepository(database, environment: $0) } ?? SettingsRepository(database)
        let settings = try repository.snapshot()
        return HTTPSettings(
            idleTimeout: .seconds(settings[.httpIdleTimeoutSec]),
            maxConnections: settings[.httpMaxConnections],
            allowedHosts: settings[.allowedHosts])
    }
}
