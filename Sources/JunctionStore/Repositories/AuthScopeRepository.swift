import Foundation
import GRDB
import JunctionCore

/// Credential scopes. Secret values are sealed with the `SecretBox` on the way in and only come
/// out through `secrets(of:)`; every other read says which keys are set, never their values.
public struct AuthScopeRepository: Sendable {
    public let database: AppDatabase
    /// Needed only to seal or open secrets; listing and deleting work without a key.
    public let box: SecretBox?

    public init(_ database: AppDatabase, box: SecretBox?) {
        self.database = database
        self.box = box
    }

    /// The unsealed secrets of one scope.
    public struct Secrets: Sendable, Equatable {
        public var env: [String: String]
        public var headers: [String: String]

        public init(env: [String: String] = [:], headers: [String: String] = [:]) {
            self.env = env
            self.headers = headers
        }
    }

    /// Creates a scope for a server with the given secrets.
    @discardableResult
    public func create(
        name: String,
        server: String,
        secrets: Secrets,
        redactionHints: [String] = []
    ) throws(StoreError) -> AuthScope {
        do {
            try Validate.name(name, kind: "scope")
            try validateKeys(secrets)
        } catch {
            throw StoreError.wrap(error)
        }
        return try database.write { db in
            guard let downstream = try Lookup.byIdOrName(Downstream.self, db, server) else {
                throw StoreError.notFound(kind: "server", key: server)
            }
            try Lookup.ensureUnique(
                db, table: "auth_scopes", column: "name", value: name, excludingId: nil, kind: "scope")
            let scope = AuthScope(
                name: name, downstreamId: downstream.id, kind: .env,
                envKeys: secrets.env.keys.sorted(), headerKeys: secrets.headers.keys.sorted(),
                redactionHints: redactionHints)
            let record = try seal(scope, secrets)
            try record.insert(db)
            try AuditRecord.configChange("scope/created", name: scope.name, keys: scope, db)
            return scope
        }
    }

    /// Sets (adds or replaces) the given secrets and removes the keys in `removing`.
    @discardableResult
    public func updateSecrets(
        _ idOrName: String, set newSecrets: Secrets, removing: [String] = []
    ) throws(StoreError) -> AuthScope {
        do { try validateKeys(newSecrets) } catch { throw StoreError.wrap(error) }
        return try database.write { db in
            guard let record = try Lookup.byIdOrName(AuthScopeRecord.self, db, idOrName) else {
                throw StoreError.notFound(kind: "scope", key: idOrName)
            }
            var secrets = try unseal(record)
            for key in removing {
                secrets.env[key] = nil
                secrets.headers[key] = nil
            }
            secrets.env.merge(newSecrets.env) { _, new in new }
            secrets.headers.merge(newSecrets.headers) { _, new in new }
            var scope = record.scope
            scope.envKeys = secrets.env.keys.sorted()
            scope.headerKeys = secrets.headers.keys.sorted()
            scope.updatedAt = Date()
            try seal(scope, secrets).update(db)
            try AuditRecord.configChange("scope/updated", name: scope.name, keys: scope, db)
            return scope
        }
    }

    /// Scopes by name; only those of one server when `downstreamId` is given.
    public func list(downstreamId: String? = nil) throws(StoreError) -> [AuthScope] {
        try database.read { db in
            var request = AuthScopeRecord.order(Column("name"))
            if let downstreamId { request = request.filter(Column("downstream_id") == downstreamId) }
            return try request.fetchAll(db).map(\.scope)
        }
    }

    public func find(_ idOrName: String) throws(StoreError) -> AuthScope? {
        try database.read { db in try Lookup.byIdOrName(AuthScopeRecord.self, db, idOrName)?.scope }
    }

    public func get(_ idOrName: String) throws(StoreError) -> AuthScope {
        guard let scope = try find(idOrName) else { throw .notFound(kind: "scope", key: idOrName) }
        return scope
    }

    /// The secret values, for starting or calling the scope's server. Never print these.
    public func secrets(of idOrName: String) throws(StoreError) -> Secrets {
        let record = try database.read { db in try Lookup.byIdOrName(AuthScopeRecord.self, db, idOrName) }
        guard let record else { throw .notFound(kind: "scope", key: idOrName) }
        return try unseal(record)
    }

    /// Deletes a scope. Rules that use it block the deletion unless `force` deletes them too.
    @discardableResult
    public func delete(_ idOrName: String, force: Bool = false) throws(StoreError) -> (
        scope: AuthScope, deletedRules: [RouteRule]
    ) {
        try database.write { db in
            guard let record = try Lookup.byIdOrName(AuthScopeRecord.self, db, idOrName) else {
                throw StoreError.notFound(kind: "scope", key: idOrName)
            }
            let rules = try RouteRule.filter(Column("auth_scope_id") == record.scope.id).order(Column("id")).fetchAll(
                db)
            if !rules.isEmpty && !force {
                throw StoreError.inUse(
                    kind: "scope", name: record.scope.name, dependents: rules.map(DownstreamRepository.describe))
            }
            for rule in rules { try rule.delete(db) }
            try record.delete(db)
            try AuditRecord.configChange("scope/deleted", name: record.scope.name, db)
            return (record.scope, rules)
        }
    }

    private func validateKeys(_ secrets: Secrets) throws(ValidationError) {
        for key in secrets.env.keys { try Validate.variableName(key, field: "env_vars") }
        for key in secrets.headers.keys { try Validate.variableName(key, field: "headers") }
    }

    private func requireBox() throws(StoreError) -> SecretBox {
        guard let box else { throw .secretKey("no secret key loaded: secrets cannot be sealed or opened") }
        return box
    }

    private func seal(_ scope: AuthScope, _ secrets: Secrets) throws(StoreError) -> AuthScopeRecord {
        let box = try requireBox()
        return AuthScopeRecord(
            scope: scope,
            envSealed: secrets.env.isEmpty
                ? nil : try box.sealJSON(secrets.env, context: Self.context(scope.id, "env")),
            headersSealed: secrets.headers.isEmpty
                ? nil : try box.sealJSON(secrets.headers, context: Self.context(scope.id, "headers")))
    }

    private func unseal(_ record: AuthScopeRecord) throws(StoreError) -> Secrets {
        if record.envSealed == nil && record.headersSealed == nil { return Secrets() }
        let box = try requireBox()
        var secrets = Secrets()
        if let sealed = record.envSealed {
            secrets.env = try box.openJSON(
                [String: String].self, from: sealed, context: Self.context(record.scope.id, "env"))
        }
        if let sealed = record.headersSealed {
            secrets.headers = try box.openJSON(
                [String: String].self, from: sealed, context: Self.context(record.scope.id, "headers"))
        }
        return secrets
    }

    /// Authenticated data binding a sealed blob to its row and column.
    static func context(_ id: String, _ field: String) -> String { "auth_scopes/\(id)/\(field)" }
}
