import Foundation
import GRDB
import JunctionCore

/// Route rules, global (`workspaceId == nil`) or scoped to a workspace.
public struct RouteRuleRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// Validates a rule (globs, references, scope ownership) and inserts it. A rule that names an
    /// auth scope but no server is routed to the scope's server.
    @discardableResult
    public func create(_ rule: RouteRule) throws(StoreError) -> RouteRule {
        let rule = try validatedFields(rule)
        return try database.write { db in
            let rule = try checkReferences(rule, db)
            try Lookup.ensureUnique(
                db, table: "route_rules", column: "name", value: rule.name, excludingId: rule.id, kind: "route")
            try rule.insert(db)
            try Self.record("route/created", rule, db)
            return rule
        }
    }

    /// Inserts several rules in one transaction: all of them or none.
    @discardableResult
    public func createAll(_ rules: [RouteRule]) throws(StoreError) -> [RouteRule] {
        var checked: [RouteRule] = []
        for rule in rules { checked.append(try validatedFields(rule)) }
        return try database.write { [checked] db in
            try checked.map { rule in
                let rule = try checkReferences(rule, db)
                try Lookup.ensureUnique(
                    db, table: "route_rules", column: "name", value: rule.name, excludingId: rule.id, kind: "route")
                try rule.insert(db)
                try Self.record("route/created", rule, db)
                return rule
            }
        }
    }

    @discardableResult
    public func update(_ rule: RouteRule) throws(StoreError) -> RouteRule {
        var rule = try validatedFields(rule)
        rule.updatedAt = Date()
        return try database.write { [rule] db in
            guard try RouteRule.exists(db, key: rule.id) else { throw StoreError.notFound(kind: "route", key: rule.id) }
            let rule = try checkReferences(rule, db)
            try Lookup.ensureUnique(
                db, table: "route_rules", column: "name", value: rule.name, excludingId: rule.id, kind: "route")
            try rule.update(db)
            try Self.record("route/updated", rule, db)
            return rule
        }
    }

    /// Which rules to list.
    public enum Filter: Sendable, Equatable {
        case all
        case global
        case workspace(id: String)
    }

    /// Rules in the order the resolver considers them within each scope: workspace rules grouped
    /// by workspace name, global rules last; inside a scope priority first, then specificity, then id.
    public func list(_ filter: Filter = .all) throws(StoreError) -> [RouteRule] {
        let (rules, workspaceNames) = try database.read { db -> ([RouteRule], [String: String]) in
            let request: QueryInterfaceRequest<RouteRule> =
                switch filter {
                case .all: RouteRule.all()
                case .global: RouteRule.filter(Column("workspace_id") == nil)
                case .workspace(let id): RouteRule.filter(Column("workspace_id") == id)
                }
            let names = try Dictionary(
                Workspace.fetchAll(db).map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
            return (try request.fetchAll(db), names)
        }
        return rules.sorted { lhs, rhs in
            let lhsScope = lhs.workspaceId.flatMap { workspaceNames[$0] }
            let rhsScope = rhs.workspaceId.flatMap { workspaceNames[$0] }
            if lhsScope != rhsScope {
                switch (lhsScope, rhsScope) {
                case (nil, _): return false
                case (_, nil): return true
                case (let l?, let r?): return l < r
                }
            }
            return RuleOrder.precedes(lhs, rhs)
        }
    }

    public func find(_ idOrName: String) throws(StoreError) -> RouteRule? {
        try database.read { db in try Lookup.byIdOrName(RouteRule.self, db, idOrName) }
    }

    public func get(_ idOrName: String) throws(StoreError) -> RouteRule {
        guard let rule = try find(idOrName) else { throw .notFound(kind: "route", key: idOrName) }
        return rule
    }

    @discardableResult
    public func setEnabled(_ idOrName: String, _ enabled: Bool) throws(StoreError) -> RouteRule {
        try database.write { db in
            guard var rule = try Lookup.byIdOrName(RouteRule.self, db, idOrName) else {
                throw StoreError.notFound(kind: "route", key: idOrName)
            }
            guard rule.enabled != enabled else { return rule }
            rule.enabled = enabled
            rule.updatedAt = Date()
            try rule.update(db)
            try Self.record(enabled ? "route/enabled" : "route/disabled", rule, db)
            return rule
        }
    }

    @discardableResult
    public func delete(_ idOrName: String) throws(StoreError) -> RouteRule {
        try database.write { db in
            guard let rule = try Lookup.byIdOrName(RouteRule.self, db, idOrName) else {
                throw StoreError.notFound(kind: "route", key: idOrName)
            }
            try rule.delete(db)
            try Self.record("route/deleted", rule, db)
            return rule
        }
    }

    /// A route change in the activity trail: the rule by name (or id), its pattern and policy.
    private static func record(_ method: String, _ rule: RouteRule, _ db: Database) throws {
        try AuditRecord.configChange(
            method, name: rule.name ?? rule.id,
            details: [
                "tool_pattern": .string(rule.toolPattern), "policy": .string(rule.policy.rawValue),
                "path_glob": .string(rule.pathGlob),
            ], db)
    }

    /// Checks everything that needs no database: name, globs, numbers.
    func validatedFields(_ rule: RouteRule) throws(StoreError) -> RouteRule {
        if let name = rule.name {
            do { try Validate.name(name, kind: "route") } catch { throw .invalid(error) }
        }
        do {
            _ = try Glob(rule.toolPattern, flavor: .name)
        } catch {
            throw .invalid(ValidationError(field: "tool_pattern", message: "invalid tool pattern: \(error)"))
        }
        do {
            _ = try Glob(rule.pathGlob, flavor: .path)
        } catch {
            throw .invalid(ValidationError(field: "path_glob", message: "invalid path glob: \(error)"))
        }
        if let timeout = rule.approvalTimeoutSec, !(1...Limits.maxSeconds).contains(timeout) {
            throw .invalid(
                ValidationError(
                    field: "approval_timeout_sec",
                    message: "approval timeout must be 1 to \(Limits.maxSeconds) seconds (a week)"))
        }
        if let ttl = rule.cacheTTLSec, !(0...Limits.maxSeconds).contains(ttl) {
            throw .invalid(
                ValidationError(
                    field: "cache_ttl_sec",
                    message: "cache TTL must be 0 (off) to \(Limits.maxSeconds) seconds (a week)"))
        }
        guard (-Limits.maxPriority...Limits.maxPriority).contains(rule.priority) else {
            throw .invalid(
                ValidationError(
                    field: "priority",
                    message: "priority must be a whole number from -\(Limits.maxPriority) to \(Limits.maxPriority)"))
        }
        return rule
    }

    /// Checks that referenced rows exist and fit together; fills the server from the scope.
    func checkReferences(_ rule: RouteRule, _ db: Database) throws -> RouteRule {
        var rule = rule
        if let workspaceId = rule.workspaceId, try !Workspace.exists(db, key: workspaceId) {
            throw StoreError.notFound(kind: "workspace", key: workspaceId)
        }
        var downstream: Downstream?
        if let downstreamId = rule.downstreamId {
            guard let found = try Downstream.fetchOne(db, key: downstreamId) else {
                throw StoreError.notFound(kind: "server", key: downstreamId)
            }
            downstream = found
        }
        if let scopeId = rule.authScopeId {
            guard let scope = try AuthScopeRecord.fetchOne(db, key: scopeId)?.scope else {
                throw StoreError.notFound(kind: "scope", key: scopeId)
            }
            if let downstream {
                guard scope.downstreamId == downstream.id else {
                    throw StoreError.invalid(
                        ValidationError(
                            field: "auth_scope_id",
                            message: "scope '\(scope.name)' belongs to another server than '\(downstream.name)'"))
                }
            } else {
                rule.downstreamId = scope.downstreamId
            }
        }
        return rule
    }
}
