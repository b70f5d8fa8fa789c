import Foundation
import JunctionCore
import JunctionStore

/// Brings the MCP servers a client already has into Junction: each becomes a downstream, its `env`
/// (and HTTP `headers`) a sealed auth scope `<name>-env`, and a global rule `<namespace>__*` routes
/// its tools with that scope so the server keeps getting its environment.
public struct Importer: Sendable {
    public let downstreams: DownstreamRepository
    public let scopes: AuthScopeRepository
    public let routes: RouteRuleRepository

    public init(downstreams: DownstreamRepository, scopes: AuthScopeRepository, routes: RouteRuleRepository) {
        self.downstreams = downstreams
        self.scopes = scopes
        self.routes = routes
    }

    /// What an import did (or, in a dry run, would do).
    public struct Report: Sendable, Encodable {
        public var client: String
        public var configPath: String
        public var dryRun: Bool
        public var imported: [Item] = []
        public var skipped: [Skip] = []
        /// With `--replace`: what happened to the client's file.
        public var replace: InstallOutcome?

        enum CodingKeys: String, CodingKey {
            case client, imported, skipped, replace
            case configPath = "config_path"
            case dryRun = "dry_run"
        }
    }

    public struct Item: Sendable, Encodable {
        /// The key in the client's configuration.
        public var source: String
        public var name: String
        public var namespace: String
        public var transport: String
        public var command: String?
        public var args: [String]
        public var url: String?
        public var authScope: String?
        public var route: String?
        public var envKeys: [String]
        public var headerKeys: [String]
        /// Values that look like references to other variables (`${…}`, `$VAR`): copied as written.
        public var warnings: [String]

        enum CodingKeys: String, CodingKey {
            case source, name, namespace, transport, command, args, url, route, warnings
            case authScope = "auth_scope"
            case envKeys = "env_keys"
            case headerKeys = "header_keys"
        }
    }

    public struct Skip: Sendable, Encodable {
        public var source: String
        public var reason: String
    }

    /// Imports every server of `target` except Junction's own entry. Each server is created with its
    /// scope and rule, or not at all; invalid ones are skipped with the reason. With `replace`,
    /// Junction is then installed in the client and the imported entries removed from it, in one
    /// backup and one atomic write, under the file lock. `dryRun` writes nothing anywhere.
    public func run(
        _ target: InstallTarget, entry: JunctionEntry, dryRun: Bool, replace: Bool
    ) throws(InstallError) -> Report {
        var report = Report(client: target.client.id.rawValue, configPath: target.path, dryRun: dryRun)
        if !replace || dryRun {
            let bytes = try ConfigFile.read(ConfigFile.resolved(target.path)) ?? []
            let editor = ConfigEditor(client: target.client, path: target.path, bytes: bytes)
            let servers = try editor.servers()
            report.imported = []
            try importAll(servers, entry: entry, dryRun: dryRun, into: &report)
            if replace {
                report.replace = try Installer.modify(target, preview: true, unchanged: .unchanged) {
                    (editor: inout ConfigEditor) throws(InstallError) in
                    try replaceEntries(&editor, report: report, entry: entry)
                }
            }
            return report
        }
        var importReport = report
        let outcome = try Installer.modify(target, preview: false, unchanged: .unchanged) {
            (editor: inout ConfigEditor) throws(InstallError) in
            try importAll(try editor.servers(), entry: entry, dryRun: false, into: &importReport)
            return try replaceEntries(&editor, report: importReport, entry: entry)
        }
        importReport.replace = outcome
        return importReport
    }

    private func replaceEntries(
        _ editor: inout ConfigEditor, report: Report, entry: JunctionEntry
    ) throws(InstallError) -> InstallOutcome.Action {
        for item in report.imported { try editor.remove(item.source) }
        try editor.install(entry)
        return .installed
    }

    private func importAll(
        _ servers: [ClientServer], entry: JunctionEntry, dryRun: Bool, into report: inout Report
    ) throws(InstallError) {
        var taken: Taken
        do {
            taken = Taken(
                servers: Set(try downstreams.list().flatMap { [$0.name.lowercased(), $0.namespace] }),
                scopes: Set(try scopes.list().map { $0.name.lowercased() }),
                routes: Set(try routes.list().compactMap { $0.name?.lowercased() }))
        } catch {
            throw .io(path: "junction.db", message: error.description)
        }
        for server in servers {
            if server.key == JunctionEntry.key || server.command == entry.command { continue }
            if let problem = server.problem {
                report.skipped.append(Skip(source: server.key, reason: problem))
                continue
            }
            if let reason = Self.invalidKeys(server) {
                report.skipped.append(Skip(source: server.key, reason: reason))
                continue
            }
            let (name, namespace) = taken.claimServer(Self.sanitize(server.key))
            let secrets = AuthScopeRepository.Secrets(env: server.env, headers: server.headers)
            let hasSecrets = !secrets.env.isEmpty || !secrets.headers.isEmpty
            let scopeName = hasSecrets ? taken.claim(name + "-env", in: \.scopes) : nil
            let routeName = hasSecrets ? taken.claim(name + "-env", in: \.routes) : nil
            let item = Item(
                source: server.key, name: name, namespace: namespace, transport: server.transport.rawValue,
                command: server.command, args: server.args, url: server.url, authScope: scopeName, route: routeName,
                envKeys: server.env.keys.sorted(), headerKeys: server.headers.keys.sorted(),
                warnings: Self.referenceWarnings(server))
            if dryRun {
                report.imported.append(item)
                continue
            }
            do {
                try create(server, item)
                report.imported.append(item)
            } catch {
                report.skipped.append(Skip(source: server.key, reason: error.description))
            }
        }
    }

    /// Creates the downstream, its scope and its rule; on any failure removes what was created.
    private func create(_ server: ClientServer, _ item: Item) throws(StoreError) {
        let downstream = try downstreams.create(
            Downstream(
                name: item.name, namespace: item.namespace, transport: server.transport == .http ? .http : .stdio,
                command: server.command, args: server.args, cwd: server.cwd, url: server.url,
                httpTransport: server.httpTransport, tags: ["imported_from": item.source]))
        guard let scopeName = item.authScope else { return }
        do {
            let scope = try scopes.create(
                name: scopeName, server: downstream.id,
                secrets: AuthScopeRepository.Secrets(env: server.env, headers: server.headers))
            try routes.create(
                RouteRule(
                    name: item.route, toolPattern: "\(downstream.namespace)__*", downstreamId: downstream.id,
                    authScopeId: scope.id))
        } catch {
            _ = try? downstreams.delete(downstream.id, force: true)
            throw error
        }
    }

    private static func invalidKeys(_ server: ClientServer) -> String? {
        for key in server.env.keys {
            do { try Validate.variableName(key, field: "env") } catch { return "env: \(error.message)" }
        }
        for key in server.headers.keys {
            do { try Validate.variableName(key, field: "headers") } catch { return "headers: \(error.message)" }
        }
        if let url = server.url {
            guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
                scheme == "http" || scheme == "https", parsed.host != nil
            else { return "its url '\(url)' is not an http:// or https:// URL" }
        }
        return nil
    }

    private static func referenceWarnings(_ server: ClientServer) -> [String] {
        (server.env.merging(server.headers) { first, _ in first }).keys.sorted().compactMap { key in
            let value = server.env[key] ?? server.headers[key] ?? ""
            return value.contains("${") || value.hasPrefix("$")
                ? "\(key) refers to another variable (\(value.prefix(2))…); it was copied as written" : nil
        }
    }

    /// A server name from a client key: `[A-Za-z0-9._-]`, other characters become `-`, at most 56
    /// characters so suffixes and `-env` still fit in 64.
    public static func sanitize(_ key: String) -> String {
        let mapped = String(
            key.unicodeScalars.map { scalar -> Character in
                switch scalar {
                case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": Character(scalar)
                default: "-"
                }
            })
        let trimmed = String(mapped.prefix(56))
        return trimmed.isEmpty || trimmed.allSatisfy({ $0 == "-" || $0 == "." }) ? "server" : trimmed
    }

    /// Names already in use (lowercased, so imports never differ from existing names only by case).
    private struct Taken {
        var servers: Set<String>
        var scopes: Set<String>
        var routes: Set<String>

        /// The first of `base`, `base-2`, `base-3`… whose name and namespace are both free.
        mutating func claimServer(_ base: String) -> (String, String) {
            var attempt = 1
            while true {
                let suffix = attempt == 1 ? "" : "-\(attempt)"
                let name = base + suffix
                let namespace = String(Downstream.defaultNamespace(forName: base).prefix(24 - suffix.count)) + suffix
                if !servers.contains(name.lowercased()) && !servers.contains(namespace) {
                    servers.insert(name.lowercased())
                    servers.insert(namespace)
                    return (name, namespace)
                }
                attempt += 1
            }
        }

        mutating func claim(_ base: String, in set: WritableKeyPath<Taken, Set<String>>) -> String {
            var attempt = 1
            while true {
                let name = attempt == 1 ? base : base + "-\(attempt)"
                if !self[keyPath: set].contains(name.lowercased()) {
                    self[keyPath: set].insert(name.lowercased())
                    return name
                }
                attempt += 1
            }
        }
    }
}
