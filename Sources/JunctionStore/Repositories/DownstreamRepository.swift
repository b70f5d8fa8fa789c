import Foundation
import GRDB
import JunctionCore

/// Downstream MCP server definitions ("servers" on the command line).
public struct DownstreamRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    @discardableResult
    ///
    /// With the setting `quarantine_new_servers` on, the server starts quarantined (its tools
    /// hidden, calls refused) until approved. The audit trail records the addition (and the
    /// quarantine) in the same transaction.
    public func create(_ downstream: Downstream) throws(StoreError) -> Downstream {
        var downstream = try validated(downstream)
        let quarantineNew = (try? SettingsRepository(database).value(.quarantineNewServers)) ?? false
        if quarantineNew { downstream.quarantined = true }
        return try database.write { [downstream] db in
            try checkUnique(downstream, db)
            try downstream.insert(db)
            try Self.record(
                .serverChange, "server/created", downstream,
                details: ["transport": .string(downstream.transport.rawValue), "enabled": .bool(downstream.enabled)],
                db)
            if downstream.quarantined {
                let reason = quarantineNew ? "setting quarantine_new_servers" : "added quarantined"
                try Self.record(
                    .quarantineChange, "server/quarantined", downstream, details: ["reason": .string(reason)], db)
            }
            return downstream
        }
    }

    /// Replaces an existing downstream (matched by id) with new values.
    @discardableResult
    public func update(_ downstream: Downstream) throws(StoreError) -> Downstream {
        var downstream = try validated(downstream)
        downstream.updatedAt = Date()
        return try database.write { [downstream] db in
            guard let stored = try Downstream.fetchOne(db, key: downstream.id) else {
                throw StoreError.notFound(kind: "server", key: downstream.id)
            }
            try checkUnique(downstream, db)
            try downstream.update(db)
            let changed = Self.changedFields(from: stored, to: downstream).filter { $0 != "quarantined" }
            if !changed.isEmpty {
                try Self.record(
                    .serverChange, "server/updated", downstream,
                    details: ["changed": .array(changed.map(JSONValue.string))],
                    db)
            }
            if stored.quarantined != downstream.quarantined {
                try Self.record(
                    .quarantineChange, downstream.quarantined ? "server/quarantined" : "server/approved", downstream,
                    db)
            }
            return downstream
        }
    }

    public func list() throws(StoreError) -> [Downstream] {
        try database.read { db in try Downstream.order(Column("name")).fetchAll(db) }
    }

    public func find(_ idOrName: String) throws(StoreError) -> Downstream? {
        try database.read { db in try Lookup.byIdOrName(Downstream.self, db, idOrName) }
    }

    public func get(_ idOrName: String) throws(StoreError) -> Downstream {
        guard let downstream = try find(idOrName) else { throw .notFound(kind: "server", key: idOrName) }
        return downstream
    }

    /// Turns a downstream on or off; returns it as saved. The audit trail records the change in
    /// the same transaction; setting the state it already has changes and records nothing.
    @discardableResult
    public func setEnabled(_ idOrName: String, _ enabled: Bool) throws(StoreError) -> Downstream {
        try set(.enabled, enabled, of: idOrName)
    }

    /// Quarantines a server (its tools hidden from clients, calls to them refused) or approves it
    /// (releases it); returns it as saved, recorded like ``setEnabled(_:_:)``.
    @discardableResult
    /// Releasing a server from quarantine pins the tools it listed while quarantined (a tool
    /// changed since an earlier pin stays quarantined until `approve-tools`).
    public func setQuarantined(_ idOrName: String, _ quarantined: Bool) throws(StoreError) -> Downstream {
        let downstream = try set(.quarantined, quarantined, of: idOrName)
        if !quarantined {
            try ToolPinRepository(database).approve(downstreamId: downstream.id, includingChanged: false)
        }
        return downstream
    }

    private enum Flag {
        case enabled
        case quarantined
    }

    private func set(_ flag: Flag, _ value: Bool, of idOrName: String) throws(StoreError) -> Downstream {
        try database.write { db in
            guard var downstream = try Lookup.byIdOrName(Downstream.self, db, idOrName) else {
                throw StoreError.notFound(kind: "server", key: idOrName)
            }
            switch flag {
            case .enabled:
                guard downstream.enabled != value else { return downstream }
                downstream.enabled = value
            case .quarantined:
                guard downstream.quarantined != value else { return downstream }
                downstream.quarantined = value
            }
            downstream.updatedAt = Date()
            try downstream.update(db)
            switch flag {
            case .enabled:
                try Self.record(.serverChange, value ? "server/enabled" : "server/disabled", downstream, db)
            case .quarantined:
                try Self.record(.quarantineChange, value ? "server/quarantined" : "server/approved", downstream, db)
            }
            return downstream
        }
    }

    public struct Deletion: Sendable {
        public var downstream: Downstream
        public var deletedRules: [RouteRule]
        public var deletedScopes: [AuthScope]
    }

    /// Deletes a downstream with its auth scopes. Rules that name it or one of its scopes block the
    /// deletion unless `force` is set, in which case they are deleted in the same transaction.
    @discardableResult
    public func delete(_ idOrName: String, force: Bool = false) throws(StoreError) -> Deletion {
        try database.write { db in
            guard let downstream = try Lookup.byIdOrName(Downstream.self, db, idOrName) else {
                throw StoreError.notFound(kind: "server", key: idOrName)
            }
            let scopes = try AuthScopeRecord.filter(Column("downstream_id") == downstream.id).fetchAll(db).map(\.scope)
            let rules = try RouteRule.fetchAll(
                db,
                sql: """
                    SELECT * FROM route_rules
                    WHERE downstream_id = ?
                       OR auth_scope_id IN (SELECT id FROM auth_scopes WHERE downstream_id = ?)
                    ORDER BY id
                    """,
                arguments: [downstream.id, downstream.id])
            if !rules.isEmpty && !force {
                throw StoreError.inUse(kind: "server", name: downstream.name, dependents: rules.map(Self.describe))
            }
            for rule in rules { try rule.delete(db) }
            try downstream.delete(db)
            try Self.record(
                .serverChange, "server/deleted", downstream,
                details: rules.isEmpty ? [:] : ["deleted_rules": .array(rules.map { .string(Self.describe($0)) })], db)
            return Deletion(downstream: downstream, deletedRules: rules, deletedScopes: scopes)
        }
    }

    /// Writes the audit record of a change to `downstream` in the caller's transaction.
    private static func record(
        _ kind: AuditRecord.Kind, _ method: String, _ downstream: Downstream, details: [String: JSONValue] = [:],
        _ db: Database
    ) throws {
        try AuditRecord.change(
            kind, method, name: downstream.name, downstreamId: downstream.id, downstreamName: downstream.name,
            details: details
        ).insert(db)
    }

    /// The names (API field names) of the fields that differ between two versions of a server;
    /// only names, never values (headers and env may hold what their owner thinks private).
    static func changedFields(from old: Downstream, to new: Downstream) -> [String] {
        var fields: [String] = []
        if old.name != new.name { fields.append("name") }
        if old.namespace != new.namespace { fields.append("namespace") }
        if old.transport != new.transport { fields.append("transport") }
        if old.command != new.command || old.args != new.args { fields.append("command") }
        if old.env != new.env { fields.append("env") }
        if old.cwd != new.cwd { fields.append("cwd") }
        if old.url != new.url { fields.append("url") }
        if old.headers != new.headers { fields.append("headers") }
        if old.httpTransport != new.httpTransport { fields.append("http_transport") }
        if old.enabled != new.enabled { fields.append("enabled") }
        if old.quarantined != new.quarantined { fields.append("quarantined") }
        if old.instanceMode != new.instanceMode { fields.append("instance_mode") }
        if old.idleTimeoutSec != new.idleTimeoutSec { fields.append("idle_timeout_sec") }
        if old.callTimeoutSec != new.callTimeoutSec { fields.append("call_timeout_sec") }
        if old.tags != new.tags { fields.append("tags") }
        return fields
    }

    static func describe(_ rule: RouteRule) -> String {
        rule.name.map { "route '\($0)'" } ?? "route \(rule.id)"
    }

    func validated(_ downstream: Downstream) throws(StoreError) -> Downstream {
        var downstream = downstream
        do {
            try Validate.name(downstream.name, kind: "server")
            try Validate.namespace(downstream.namespace)
            for key in downstream.env.keys { try Validate.variableName(key, field: "env") }
            for key in downstream.headers.keys { try Validate.variableName(key, field: "headers") }
        } catch {
            throw .invalid(error)
        }
        switch downstream.transport {
        case .stdio:
            guard let command = downstream.command, !command.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw .invalid(
                    ValidationError(
                        field: "command",
                        message: "a stdio server needs a command: junction server add NAME -- COMMAND [ARGS...]"))
            }
            if downstream.url != nil {
                throw .invalid(ValidationError(field: "url", message: "a stdio server has no url"))
            }
        case .http:
            guard let url = downstream.url, let parsed = URL(string: url),
                let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https", parsed.host != nil
            else {
                throw .invalid(
                    ValidationError(field: "url", message: "an http server needs an http:// or https:// url"))
            }
            if downstream.command != nil {
                throw .invalid(ValidationError(field: "command", message: "an http server has no command"))
            }
        }
        if let cwd = downstream.cwd {
            do {
                downstream.cwd = try PathNormalizer.normalize(cwd)
            } catch {
                throw .invalid(ValidationError(field: "cwd", message: "invalid working directory: \(error)"))
            }
        }
        guard (0...Limits.maxSeconds).contains(downstream.idleTimeoutSec) else {
            throw .invalid(
                ValidationError(
                    field: "idle_timeout_sec",
                    message: "idle timeout must be 0 (never) to \(Limits.maxSeconds) seconds (a week)"))
        }
        guard (1...Limits.maxSeconds).contains(downstream.callTimeoutSec) else {
            throw .invalid(
                ValidationError(
                    field: "call_timeout_sec",
                    message: "call timeout must be 1 to \(Limits.maxSeconds) seconds (a week)"))
        }
        if let cap = downstream.maxConcurrentCalls, !(0...10_000).contains(cap) {
            throw .invalid(
                ValidationError(
                    field: "max_concurrent_calls",
                    message: "max_concurrent_calls must be 0 (no cap) to 10000, or null to follow the setting"))
        }
        return downstream
    }

    func checkUnique(_ downstream: Downstream, _ db: Database) throws {
        try Lookup.ensureUnique(
            db, table: "downstreams", column: "name", value: downstream.name, excludingId: downstream.id, kind: "server"
        )
        try Lookup.ensureUnique(
            db, table: "downstreams", column: "namespace", value: downstream.namespace, excludingId: downstream.id,
            kind: "server")
    }
}
