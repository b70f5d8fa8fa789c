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
    public func create(_ downstream: Downstream) throws(StoreError) -> Downstream {
        let downstream = try validated(downstream)
        return try database.write { db in
            try checkUnique(downstream, db)
            try downstream.insert(db)
            return downstream
        }
    }

    /// Replaces an existing downstream (matched by id) with new values.
    @discardableResult
    public func update(_ downstream: Downstream) throws(StoreError) -> Downstream {
        var downstream = try validated(downstream)
        downstream.updatedAt = Date()
        return try database.write { [downstream] db in
            guard try Downstream.exists(db, key: downstream.id) else {
                throw StoreError.notFound(kind: "server", key: downstream.id)
            }
            try checkUnique(downstream, db)
            try downstream.update(db)
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

    /// Turns a downstream on or off; returns it as saved.
    @discardableResult
    public func setEnabled(_ idOrName: String, _ enabled: Bool) throws(StoreError) -> Downstream {
        try database.write { db in
            guard var downstream = try Lookup.byIdOrName(Downstream.self, db, idOrName) else {
                throw StoreError.notFound(kind: "server", key: idOrName)
            }
            guard downstream.enabled != enabled else { return downstream }
            downstream.enabled = enabled
            downstream.updatedAt = Date()
            try downstream.update(db)
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
            return Deletion(downstream: downstream, deletedRules: rules, deletedScopes: scopes)
        }
    }

    static func describe(_ rule: RouteRule) -> String {
        rule.name.map { "route '\($0)'" } ?? "route \(rule.id)"
    }

    private func validated(_ downstream: Downstream) throws(StoreError) -> Downstream {
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

    private func checkUnique(_ downstream: Downstream, _ db: Database) throws {
        try Lookup.ensureUnique(
            db, table: "downstreams", column: "name", value: downstream.name, excludingId: downstream.id, kind: "server"
        )
        try Lookup.ensureUnique(
            db, table: "downstreams", column: "namespace", value: downstream.namespace, excludingId: downstream.id,
            kind: "server")
    }
}
