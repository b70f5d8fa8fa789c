import Foundation
import JunctionCore
import JunctionGateway
import JunctionInstall
import JunctionStore

/// `junction doctor` and `GET /api/v1/doctor`: checks a Junction home and what it runs, and says
/// what to do about each thing found wrong. It changes nothing (it starts servers to see them
/// list their tools, as a client's first call would).
public struct Doctor: Sendable {
    /// One thing checked: what was found, and the fix when it is not ok.
    public struct Finding: Codable, Sendable, Hashable, CustomStringConvertible {
        public enum Status: String, Codable, Sendable {
            case ok, warning, problem
        }

        /// home, files, database, secrets, daemon, server, client, oauth, tools.
        public var check: String
        public var status: Status
        public var message: String
        public var fix: String?

        public init(_ check: String, _ status: Status, _ message: String, fix: String? = nil) {
            self.check = check
            self.status = status
            self.message = message
            self.fix = fix
        }

        /// One line: `ok      home: … ` / `PROBLEM server: … (fix: …)`.
        public var description: String {
            let mark =
                switch status {
                case .ok: "ok     "
                case .warning: "WARNING"
                case .problem: "PROBLEM"
                }
            return "\(mark) \(check): \(message)" + (fix.map { " (fix: \($0))" } ?? "")
        }
    }

    /// What a run found.
    public struct Report: Codable, Sendable {
        public var healthy: Bool
        public var problems: Int
        public var warnings: Int
        public var findings: [Finding]

        public init(_ findings: [Finding]) {
            self.findings = findings
            problems = findings.count { $0.status == .problem }
            warnings = findings.count { $0.status == .warning }
            healthy = problems == 0
        }
    }

    public var home: JunctionHome
    public var clients: ClientEnvironment
    /// Longest a server may take to start and list its tools.
    public var serverTimeout: Duration
    public var environment: [String: String]

    public init(
        home: JunctionHome, clients: ClientEnvironment = .current(), serverTimeout: Duration = .seconds(20),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.home = home
        self.clients = clients
        self.serverTimeout = serverTimeout
        self.environment = environment
    }

    /// Runs every check. `pool` starts the servers (the daemon's own); without one a pool of the
    /// doctor's is used and stopped afterwards. `daemonAnswers` skips asking the daemon (it is
    /// the one asking).
    public func run(
        database givenDatabase: AppDatabase? = nil, pool givenPool: DownstreamPool? = nil, daemonAnswers: Bool? = nil
    ) async -> Report {
        var findings = checkHome()
        guard FileManager.default.fileExists(atPath: home.path) else { return Report(findings) }
        let database: AppDatabase?
        if let givenDatabase {
            database = givenDatabase
            findings.append(Finding("database", .ok, "\(home.databasePath) opens; schema current"))
        } else {
            let (opened, finding) = openDatabase()
            database = opened
            findings.append(finding)
        }
        findings += await checkDaemon(answers: daemonAnswers)
        if let database {
            findings += checkSecrets(database)
            findings += checkOAuth(database)
            findings += checkToolPins(database)
            findings += await checkServers(database, pool: givenPool)
        }
        findings += checkClients()
        return Report(findings)
    }

    // MARK: - Home and files

    func checkHome() -> [Finding] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: home.path, isDirectory: &isDirectory) else {
            return [
                Finding(
                    "home", .warning, "\(home.path) does not exist yet",
                    fix: "any junction command creates it, e.g. junction server list")
            ]
        }
        guard isDirectory.boolValue else {
            return [
                Finding(
                    "home", .problem, "\(home.path) is not a directory",
                    fix: "move it away, or point JUNCTION_HOME elsewhere")
            ]
        }
        var findings: [Finding] = []
        if let mode = Self.mode(home.path), mode & 0o077 != 0 {
            findings.append(
                Finding(
                    "home", .problem,
                    "\(home.path) is readable by other users (mode \(String(mode, radix: 8)))",
                    fix: "chmod 700 \(home.path)"))
        } else {
            findings.append(Finding("home", .ok, "\(home.path) is private to its owner"))
        }
        for path in [home.secretKeyPath, home.apiKeyPath, home.databasePath] {
            guard let mode = Self.mode(path) else { continue }
            if mode & 0o077 != 0 {
                findings.append(
                    Finding(
                        "files", .problem, "\(path) is readable by other users (mode \(String(mode, radix: 8)))",
                        fix: "chmod 600 \(path)"))
            }
        }
        if !findings.contains(where: { $0.check == "files" }) {
            findings.append(Finding("files", .ok, "secret.key, api-key and junction.db are private"))
        }
        return findings
    }

    static func mode(_ path: String) -> Int? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let permissions = attributes[.posixPermissions] as? NSNumber
        else { return nil }
        return permissions.intValue & 0o777
    }

    // MARK: - Database, secrets, daemon

    func openDatabase() -> (AppDatabase?, Finding) {
        guard FileManager.default.fileExists(atPath: home.databasePath) else {
            return (
                nil,
                Finding(
                    "database", .ok, "no junction.db yet (made by the first junction command that stores something)")
            )
        }
        do {
            let database = try AppDatabase.open(path: home.databasePath)
            let last = AppDatabase.knownMigrations.last ?? "-"
            return (database, Finding("database", .ok, "\(home.databasePath) opens; migrations current (\(last))"))
        } catch {
            return (
                nil,
                Finding("database", .problem, "\(error)", fix: "restore junction.db from a backup, or move it away")
            )
        }
    }

    func checkSecrets(_ database: AppDatabase) -> [Finding] {
        let sealed = (try? AuthScopeRepository(database, box: nil).list()) ?? []
        let withSecrets = sealed.filter { !$0.envKeys.isEmpty || !$0.headerKeys.isEmpty }
        let fromEnvironment = environment["JUNCTION_SECRET_KEY"].map { !$0.isEmpty } ?? false
        if !fromEnvironment, !FileManager.default.fileExists(atPath: home.secretKeyPath) {
            guard !withSecrets.isEmpty else {
                return [Finding("secrets", .ok, "no secret.key yet (made when a secret is first stored)")]
            }
            return [
                Finding(
                    "secrets", .problem,
                    "secret.key is missing, but scopes hold sealed secrets (\(withSecrets.map(\.name).joined(separator: ", ")))",
                    fix: "restore \(home.secretKeyPath) from a backup, or set JUNCTION_SECRET_KEY; "
                        + "else store the secrets again: junction scope add …")
            ]
        }
        let box: SecretBox
        do {
            box = try SecretBox.load(home: home, environment: environment)
        } catch {
            return [Finding("secrets", .problem, "\(error)", fix: "restore secret.key from a backup")]
        }
        let scopes = AuthScopeRepository(database, box: box)
        for scope in withSecrets {
            do {
                _ = try scopes.secrets(of: scope.id)
            } catch {
                return [
                    Finding(
                        "secrets", .problem, "scope '\(scope.name)': \(error)",
                        fix: "restore the secret.key its secrets were sealed with, or store them again")
                ]
            }
        }
        return [Finding("secrets", .ok, "secret key loads; \(withSecrets.count) scope(s) with secrets open")]
    }

    func checkDaemon(answers: Bool?) async -> [Finding] {
        if answers == true { return [Finding("daemon", .ok, "the daemon answers (this report comes from it)")] }
        guard FileManager.default.fileExists(atPath: home.socketPath) else {
            return [Finding("daemon", .ok, "not running; junction stdio starts it when a client connects")]
        }
        var client = LocalAPIClient(home: home, purpose: "the doctor asks the daemon")
        client.timeout = .seconds(5)
        if let response = try? await client.response("GET", "/api/v1/health"), response.isSuccess {
            return [Finding("daemon", .ok, "the daemon answers on \(home.socketPath)")]
        }
        return [
            Finding(
                "daemon", .problem, "\(home.socketPath) exists but no daemon answers on it",
                fix: "start it: junction serve (a stale socket is replaced), or remove \(home.socketPath)")
        ]
    }

    // MARK: - OAuth and tool pins

    func checkOAuth(_ database: AppDatabase) -> [Finding] {
        guard let tokens = try? OAuthTokenRepository(database, box: nil).all(), !tokens.isEmpty else { return [] }
        let names = Dictionary(
            ((try? AuthScopeRepository(database, box: nil).list()) ?? []).map { ($0.id, $0.name) },
            uniquingKeysWith: { first, _ in first })
        let now = Date()
        return tokens.map { token in
            let scope = names[token.authScopeId] ?? token.authScopeId
            if let expires = token.expiresAt, expires < now, !token.hasRefreshToken {
                return Finding(
                    "oauth", .problem, "scope '\(scope)': the access token expired and there is no refresh token",
                    fix: "sign in again: junction auth login \(scope)")
            }
            if let error = token.lastError {
                return Finding(
                    "oauth", .problem, "scope '\(scope)': the last refresh failed: \(error)",
                    fix: "sign in again: junction auth login \(scope)")
            }
            return Finding("oauth", .ok, "scope '\(scope)': tokens valid")
        }
    }

    func checkToolPins(_ database: AppDatabase) -> [Finding] {
        guard let changed = try? ToolPinRepository(database).changed(), !changed.isEmpty else { return [] }
        let servers = Dictionary(
            ((try? DownstreamRepository(database).list()) ?? []).map { ($0.id, $0.name) },
            uniquingKeysWith: { first, _ in first })
        return Dictionary(grouping: changed, by: \.downstreamId).sorted { $0.key < $1.key }.map { id, pins in
            let name = servers[id] ?? id
            return Finding(
                "tools", .warning,
                "server '\(name)': \(pins.map(\.name).joined(separator: ", ")) changed since approved (quarantined)",
                fix: "review: junction server tool-changes \(name); then junction server approve-tools \(name)")
        }
    }

    // MARK: - Servers

    func checkServers(_ database: AppDatabase, pool given: DownstreamPool?) async -> [Finding] {
        let servers = ((try? DownstreamRepository(database).list()) ?? []).filter { $0.enabled && !$0.quarantined }
        guard !servers.isEmpty else { return [] }
        var options = DownstreamPool.Options()
        options.startupTimeout = serverTimeout
        // Loaded only when it exists: the doctor never makes a key.
        let hasKey =
            !(environment["JUNCTION_SECRET_KEY"] ?? "").isEmpty
            || FileManager.default.fileExists(atPath: home.secretKeyPath)
        let box = hasKey ? try? SecretBox.load(home: home, environment: environment) : nil
        let scopes = AuthScopeRepository(database, box: box)
        let pool =
            given ?? DownstreamPool(home: home, options: options, secrets: { try scopes.secrets(of: $0) })
        let limit = serverTimeout + .seconds(5)
        let findings = await withTaskGroup(of: (Int, Finding).self) { group in
            for (index, server) in servers.enumerated() {
                // A server with one auth scope starts with it (its secrets may be what it needs).
                let scopes = (try? scopes.list(downstreamId: server.id)) ?? []
                let scope = scopes.count == 1 ? scopes[0].id : nil
                group.addTask { (index, await Self.check(server, scope: scope, pool: pool, within: limit)) }
            }
            var found: [(Int, Finding)] = []
            for await result in group { found.append(result) }
            return found.sorted { $0.0 < $1.0 }.map(\.1)
        }
        if given == nil { await pool.stopProcesses() }
        return findings
    }

    /// How one server's check ended.
    enum ServerOutcome: Sendable {
        case listed(Int)
        case failed(String)
        case timedOut
    }

    static func check(_ server: Downstream, scope: String?, pool: DownstreamPool, within limit: Duration) async
        -> Finding
    {
        let logs = "junction server show \(server.name); its log: logs/\(server.name).log"
        // Whichever ends first: the server listing its tools, or the time limit.
        let outcome = await withTaskGroup(of: ServerOutcome.self) { group in
            group.addTask {
                do {
                    let instance = try await pool.instance(for: server, authScopeId: scope, sessionId: nil)
                    return .listed(await instance.currentCatalog().tools.count)
                } catch {
                    return .failed("\(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: limit)
                return .timedOut
            }
            let first = await group.next() ?? .timedOut
            group.cancelAll()
            return first
        }
        switch outcome {
        case .listed(let count):
            return Finding("server", .ok, "'\(server.name)' starts and lists \(count) tool(s)")
        case .failed(let error):
            return Finding("server", .problem, "'\(server.name)' does not start: \(error)", fix: logs)
        case .timedOut:
            return Finding(
                "server", .problem, "'\(server.name)' did not list its tools within \(limit)", fix: logs)
        }
    }

    // MARK: - Clients

    func checkClients() -> [Finding] {
        let current = Self.resolved(JunctionExecutable.current())
        return Client.all.compactMap { client in
            let entry: ClientServer?
            do {
                entry = try Installer.installedEntry(of: client, environment: clients)
            } catch {
                return Finding(
                    "client", .problem, "\(client.name): its configuration cannot be read: \(error)",
                    fix: "fix the file by hand; junction clients shows where it is")
            }
            guard let entry else { return nil }
            if let url = entry.url {
                return Finding("client", .ok, "\(client.name) reaches Junction over HTTP (\(url))")
            }
            guard let command = entry.command, !command.isEmpty else {
                return Finding(
                    "client", .problem, "\(client.name): the junction entry has no command",
                    fix: "junction install \(client.id.rawValue)")
            }
            let path = Self.resolved(command)
            guard FileManager.default.isExecutableFile(atPath: path) else {
                return Finding(
                    "client", .problem, "\(client.name) runs \(command), which is not an executable file",
                    fix: "junction install \(client.id.rawValue)")
            }
            guard path == current else {
                return Finding(
                    "client", .warning, "\(client.name) runs \(command), not this junction (\(current))",
                    fix: "junction install \(client.id.rawValue)")
            }
            return Finding("client", .ok, "\(client.name) runs this junction")
        }
    }

    /// The path with symlinks resolved (as the client would run it).
    static func resolved(_ path: String) -> String {
        guard path.hasPrefix("/"), let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }
}
