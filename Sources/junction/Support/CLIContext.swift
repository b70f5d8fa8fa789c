import Foundation
import JunctionCore
import JunctionStore

/// What every configuration command needs: the home folder and its database, opened on demand.
struct CLIContext {
    let home: JunctionHome
    let database: AppDatabase

    static func open() throws -> CLIContext {
        let home = JunctionHome.resolve()
        try home.ensureExists()
        return CLIContext(home: home, database: try AppDatabase.open(path: home.databasePath))
    }

    var workspaces: WorkspaceRepository { WorkspaceRepository(database) }
    var downstreams: DownstreamRepository { DownstreamRepository(database) }
    var routes: RouteRuleRepository { RouteRuleRepository(database) }
    var settings: SettingsRepository { SettingsRepository(database) }

    /// Auth scopes; the secret key is loaded (created on first use) only when secrets are handled.
    func scopes(sealing: Bool) throws -> AuthScopeRepository {
        AuthScopeRepository(database, box: sealing ? try SecretBox.load(home: home) : nil)
    }
}

/// A user error found by the CLI itself (bad flag combination, missing environment variable).
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
