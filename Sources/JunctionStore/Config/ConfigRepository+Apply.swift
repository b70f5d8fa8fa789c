import Foundation
import GRDB
import JunctionCore

extension ConfigRepository {
    /// Applies a document inside one open transaction; the caller commits or rolls back.
    struct Applier {
        let database: AppDatabase
        let db: Database
        var changes: [Change] = []

        init(database: AppDatabase, db: Database) {
            self.database = database
            self.db = db
        }

        mutating func apply(_ document: ConfigDocument) throws -> [Change] {
            try checkUniqueNames(document)
            let current = try ConfigRepository.document(db)
            if let scopes = document.authScopes { try checkScopes(scopes) }
            let keptRules = try document.routes.map { try deleteUnwantedRoutes($0) } ?? [:]
            if let servers = document.servers { try deleteUnwantedServers(servers) }
            if let workspaces = document.workspaces { try deleteUnwantedWorkspaces(workspaces) }
            let currentWorkspaces = Dictionary(
                (current.workspaces ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for (index, entry) in (document.workspaces ?? []).enumerated() {
                try located("workspaces[\(index)] '\(entry.name)'") { applier in
                    try applier.upsert(entry, current: currentWorkspaces[entry.name])
                }
            }
            let currentServers = Dictionary(
                (current.servers ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            for (index, entry) in (document.servers ?? []).enumerated() {
                try located("servers[\(index)] '\(entry.name)'") { applier in
                    try applier.upsert(entry, current: currentServers[entry.name])
                }
            }
            for (index, entry) in (document.routes ?? []).enumerated() {
                let label = entry.name.map { "routes[\(index)] '\($0)'" } ?? "routes[\(index)]"
                let existingId = keptRules.first { $0.value == index }?.key
                try located(label) { applier in try applier.upsert(entry, existingId: existingId) }
            }
            if let settings = document.settings { try apply(settings: settings, current: current.settings ?? [:]) }
            return changes
        }

        // MARK: - Checks

        private func checkUniqueNames(_ document: ConfigDocument) throws {
            func unique(_ names: [String], _ section: String) throws {
                var seen = Set<String>()
                for name in names where !seen.insert(name).inserted {
                    throw StoreError.invalid(
                        ValidationError(field: section, message: "\(section): '\(name)' appears twice"))
                }
            }
            try unique((document.workspaces ?? []).map(\.name), "workspaces")
            try unique((document.servers ?? []).map(\.name), "servers")
            try unique((document.routes ?? []).compactMap(\.name), "routes")
            try unique((document.authScopes ?? []).map(\.name), "auth_scopes")
        }

        /// Scopes are references: each must exist, on the server named, as described.
        private func checkScopes(_ scopes: [ConfigDocument.AuthScopeEntry]) throws {
            let stored = try ConfigRepository.document(db).authScopes ?? []
            for (index, entry) in scopes.enumerated() {
                guard let scope = stored.first(where: { $0.name == entry.name }) else {
                    throw StoreError.invalid(
                        ValidationError(
                            field: "auth_scopes[\(index)]",
                            message: "auth scope '\(entry.name)' does not exist; documents name scopes, never hold "
                                + "their secrets. Create it first: junction scope add \(entry.name) --server \(entry.server) …"
                        ))
                }
                let mismatch =
                    scope.server != entry.server || (entry.kind != nil && entry.kind != scope.kind)
                    || (entry.envKeys != nil && entry.envKeys?.sorted() != scope.envKeys)
                    || (entry.headerKeys != nil && entry.headerKeys?.sorted() != scope.headerKeys)
                    || (entry.oauthProvider != nil && entry.oauthProvider != scope.oauthProvider)
                if mismatch {
                    throw StoreError.invalid(
                        ValidationError(
                            field: "auth_scopes[\(index)]",
                            message: "auth scope '\(entry.name)' is stored differently (server '\(scope.server)', kind "
                                + "\(scope.kind?.rawValue ?? "env")); applying never changes scopes: change it with "
                                + "junction scope, or fix the document"))
                }
            }
        }

        // MARK: - Deletions

        /// Deletes the rules the document no longer has; returns the kept ones (rule id → the
        /// index of the document entry that matched it: by name, or by every field when unnamed).
        private mutating func deleteUnwantedRoutes(_ routes: [ConfigDocument.RouteEntry]) throws -> [String: Int] {
            var kept: [String: Int] = [:]
            var claimed = Set<Int>()
            for rule in try RouteRule.order(Column("workspace_id"), Column("priority").desc, Column("id")).fetchAll(db)
            {
                let current = try routeEntry(rule)
                let match = routes.indices.first { index in
                    guard !claimed.contains(index) else { return false }
                    if let name = rule.name { return routes[index].name == name }
                    return routes[index].name == nil && normalized(routes[index]) == current
                }
                if let match {
                    claimed.insert(match)
                    kept[rule.id] = match
                    continue
                }
                try rule.delete(db)
                changes.append(Change(action: .delete, kind: "route", name: label(rule), fields: []))
            }
            return kept
        }

        private mutating func deleteUnwantedServers(_ servers: [ConfigDocument.ServerEntry]) throws {
            let wanted = Set(servers.map(\.name))
            for server in try Downstream.order(Column("name")).fetchAll(db) where !wanted.contains(server.name) {
                let scopes = try AuthScopeRecord.filter(Column("downstream_id") == server.id).fetchAll(db).map(
                    \.scope.name)
                guard scopes.isEmpty else {
                    throw StoreError.invalid(
                        ValidationError(
                            field: "servers",
                            message: "server '\(server.name)' is not in the document but has auth scopes ("
                                + scopes.joined(separator: ", ") + "), whose secrets a document cannot restore; "
                                + "remove them first (junction scope remove) or keep the server"))
                }
                let rules = try RouteRule.filter(Column("downstream_id") == server.id).fetchAll(db)
                guard rules.isEmpty else {
                    throw StoreError.invalid(
                        ValidationError(
                            field: "servers",
                            message: "server '\(server.name)' is not in the document but "
                                + rules.map { label($0) }.joined(separator: ", ") + " still name it"))
                }
                try server.delete(db)
                changes.append(Change(action: .delete, kind: "server", name: server.name, fields: []))
            }
        }

        private mutating func deleteUnwantedWorkspaces(_ workspaces: [ConfigDocument.WorkspaceEntry]) throws {
            let wanted = Set(workspaces.map(\.name))
            for workspace in try Workspace.order(Column("name")).fetchAll(db) where !wanted.contains(workspace.name) {
                let rules = try RouteRule.filter(Column("workspace_id") == workspace.id).fetchCount(db)
                try workspace.delete(db)
                changes.append(
                    Change(
                        action: .delete, kind: "workspace", name: workspace.name,
                        fields: rules == 0 ? [] : ["with its \(rules) route(s)"]))
            }
        }

        // MARK: - Creations and updates

        private mutating func upsert(_ entry: ConfigDocument.WorkspaceEntry, current: ConfigDocument.WorkspaceEntry?)
            throws
        {
            let existing = try Workspace.filter(Column("name") == entry.name).fetchOne(db)
            var workspace =
                existing
                ?? Workspace(name: entry.name, rootPath: entry.rootPath)
            workspace.rootPath = entry.rootPath
            workspace.defaultPolicy = entry.defaultPolicy ?? .allow
            workspace.tags = entry.tags ?? [:]
            let repository = WorkspaceRepository(database)
            workspace = try repository.validated(workspace)
            let desired = ConfigRepository.entry(workspace)
            guard desired != current else { return }
            try repository.checkUnique(workspace, db)
            workspace.updatedAt = Date()
            if existing == nil {
                try workspace.insert(db)
                changes.append(Change(action: .create, kind: "workspace", name: workspace.name, fields: []))
            } else {
                try workspace.update(db)
                changes.append(
                    Change(
                        action: .update, kind: "workspace", name: workspace.name, fields: try fields(current, desired)))
            }
        }

        private mutating func upsert(_ entry: ConfigDocument.ServerEntry, current: ConfigDocument.ServerEntry?) throws {
            let existing = try Downstream.filter(Column("name") == entry.name).fetchOne(db)
            var server = Downstream(
                id: existing?.id ?? ULID.make(), name: entry.name, namespace: entry.namespace,
                transport: entry.transport ?? (entry.url != nil && entry.command == nil ? .http : .stdio),
                command: entry.command, args: entry.args ?? [], env: entry.env ?? [:], cwd: entry.cwd, url: entry.url,
                headers: entry.headers ?? [:], httpTransport: entry.httpTransport ?? .auto,
                enabled: entry.enabled ?? true,
                quarantined: entry.quarantined ?? false, instanceMode: entry.instanceMode ?? .shared,
                idleTimeoutSec: entry.idleTimeoutSec ?? Downstream.defaultIdleTimeoutSec,
                callTimeoutSec: entry.callTimeoutSec ?? Downstream.defaultCallTimeoutSec, tags: entry.tags ?? [:],
                createdAt: existing?.createdAt ?? Date())
            let repository = DownstreamRepository(database)
            server = try repository.validated(server)
            let desired = ConfigRepository.entry(server)
            guard desired != current else { return }
            try repository.checkUnique(server, db)
            if existing == nil {
                try server.insert(db)
                changes.append(Change(action: .create, kind: "server", name: server.name, fields: []))
            } else {
                try server.update(db)
                changes.append(
                    Change(action: .update, kind: "server", name: server.name, fields: try fields(current, desired)))
            }
        }

        private mutating func upsert(_ entry: ConfigDocument.RouteEntry, existingId: String?) throws {
            let existing = try existingId.flatMap { try RouteRule.fetchOne(db, key: $0) }
            var rule = RouteRule(
                id: existing?.id ?? ULID.make(), name: entry.name,
                workspaceId: try entry.workspace.map { try id(of: Workspace.self, named: $0, kind: "workspace") },
                pathGlob: entry.pathGlob ?? RouteRule.defaultPathGlob, toolPattern: entry.toolPattern,
                downstreamId: try entry.server.map { try id(of: Downstream.self, named: $0, kind: "server") },
                authScopeId: try entry.authScope.map { try id(of: AuthScopeRecord.self, named: $0, kind: "scope") },
                policy: entry.policy ?? .allow, priority: entry.priority ?? 0,
                approvalTimeoutSec: entry.approvalTimeoutSec, cacheTTLSec: entry.cacheTTLSec,
                enabled: entry.enabled ?? true, createdAt: existing?.createdAt ?? Date())
            let repository = RouteRuleRepository(database)
            rule = try repository.validatedFields(rule)
            rule = try repository.checkReferences(rule, db)
            let current = try existing.map { try routeEntry($0) }
            let desired = try routeEntry(rule)
            guard desired != current else { return }
            if existing == nil {
                try rule.insert(db)
                changes.append(Change(action: .create, kind: "route", name: label(rule), fields: []))
            } else {
                try rule.update(db)
                changes.append(
                    Change(action: .update, kind: "route", name: label(rule), fields: try fields(current, desired)))
            }
        }

        private mutating func apply(settings: [String: JSONValue], current: [String: JSONValue]) throws {
            for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
                let definition = try SettingsRepository.definition(key)
                if let expected = definition.check(value) {
                    throw StoreError.invalid(
                        ValidationError(field: "settings.\(key)", message: "setting '\(key)' must be \(expected)"))
                }
                let json = SettingsRepository.normalizedJSON(value) ?? "null"
                let before = current[key].flatMap(SettingsRepository.normalizedJSON) ?? definition.defaultJSON
                guard json != before else { continue }
                try db.execute(
                    sql: """
                        INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                        """,
                    arguments: [key, json, Date()])
                changes.append(Change(action: .update, kind: "setting", name: key, fields: ["\(before) → \(json)"]))
            }
        }

        // MARK: - Helpers

        private func routeEntry(_ rule: RouteRule) throws -> ConfigDocument.RouteEntry {
            ConfigRepository.entry(
                rule, workspace: try rule.workspaceId.flatMap { try Workspace.fetchOne(db, key: $0)?.name },
                server: try rule.downstreamId.flatMap { try Downstream.fetchOne(db, key: $0)?.name },
                scope: try rule.authScopeId.flatMap { try AuthScopeRecord.fetchOne(db, key: $0)?.scope.name })
        }

        private func normalized(_ entry: ConfigDocument.RouteEntry) -> ConfigDocument.RouteEntry {
            var entry = entry
            entry.pathGlob = entry.pathGlob ?? RouteRule.defaultPathGlob
            entry.policy = entry.policy ?? .allow
            entry.priority = entry.priority ?? 0
            entry.enabled = entry.enabled ?? true
            return entry
        }

        private func id<Record: FetchableRecord & TableRecord>(of type: Record.Type, named name: String, kind: String)
            throws -> String
        {
            guard let id = try Record.select(Column("id"), as: String.self).filter(Column("name") == name).fetchOne(db)
            else {
                throw StoreError.invalid(
                    ValidationError(field: kind, message: "\(kind) '\(name)' is neither in the document nor stored"))
            }
            return id
        }

        private func label(_ rule: RouteRule) -> String {
            rule.name ?? "\(rule.toolPattern) (\(rule.policy.rawValue), unnamed)"
        }

        /// `field: old → new` for each member that differs.
        private func fields<Entry: Encodable>(_ old: Entry?, _ new: Entry) throws -> [String] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            func members(_ value: Entry?) throws -> [String: JSONValue] {
                guard let value else { return [:] }
                let decoded = try JSONDecoder().decode(JSONValue.self, from: try encoder.encode(value))
                if case .object(let members) = decoded { return members }
                return [:]
            }
            func text(_ value: JSONValue?) throws -> String {
                guard let value else { return "null" }
                return String(decoding: try encoder.encode(value), as: UTF8.self)
            }
            let before = try members(old)
            let after = try members(new)
            return try Set(before.keys).union(after.keys).sorted().compactMap { key in
                before[key] == after[key] ? nil : "\(key) \(try text(before[key])) → \(try text(after[key]))"
            }
        }

        /// Prefixes a validation error with where in the document it is.
        private mutating func located(_ label: String, _ body: (inout Applier) throws -> Void) throws {
            do {
                try body(&self)
            } catch let error as StoreError {
                if case .invalid(let validation) = error {
                    throw StoreError.invalid(
                        ValidationError(field: validation.field, message: "\(label): \(validation.message)"))
                }
                throw StoreError.invalid(ValidationError(field: label, message: "\(label): \(error)"))
            }
        }
    }
}
