import Crypto
import Foundation
import GRDB
import JunctionCore

/// Named client keys for MCP over HTTP. A key is 32 random bytes (`jck_` + base64url); only its
/// SHA-256 is stored, so `create` returns the key once and nothing can show it again.
public struct ClientKeyRepository: Sendable {
    public let database: AppDatabase

    public init(_ database: AppDatabase) {
        self.database = database
    }

    /// What `create` made: the stored row and the key itself (shown once).
    public struct Created: Sendable {
        public var key: ClientKey
        public var secret: String
    }

    /// Makes a key named `name`, bound to the workspace `workspace` (name or id) when given.
    public func create(name: String, workspace: String? = nil) throws(StoreError) -> Created {
        do {
            try Validate.name(name, kind: "client key")
        } catch {
            throw .invalid(error)
        }
        let secret = "jck_" + Self.base64URL(SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) })
        return try database.write { db in
            var workspaceId: String?
            if let workspace {
                guard let found = try Lookup.byIdOrName(Workspace.self, db, workspace) else {
                    throw StoreError.notFound(kind: "workspace", key: workspace)
                }
                workspaceId = found.id
            }
            try Lookup.ensureUnique(
                db, table: "client_keys", column: "name", value: name, excludingId: nil, kind: "client key")
            let key = ClientKey(
                name: name, keyHash: Self.hash(secret), prefix: String(secret.prefix(10)), workspaceId: workspaceId)
            try key.insert(db)
            return Created(key: key, secret: secret)
        }
    }

    public func list() throws(StoreError) -> [ClientKey] {
        try database.read { db in try ClientKey.order(Column("name")).fetchAll(db) }
    }

    public func get(_ idOrName: String) throws(StoreError) -> ClientKey {
        let found = try database.read { db in try Lookup.byIdOrName(ClientKey.self, db, idOrName) }
        guard let found else { throw .notFound(kind: "client key", key: idOrName) }
        return found
    }

    /// Deletes a key: the next request presenting it is refused. Returns the deleted row.
    @discardableResult
    public func revoke(_ idOrName: String) throws(StoreError) -> ClientKey {
        try database.write { db in
            guard let key = try Lookup.byIdOrName(ClientKey.self, db, idOrName) else {
                throw StoreError.notFound(kind: "client key", key: idOrName)
            }
            try key.delete(db)
            return key
        }
    }

    /// The key whose hash matches what a client presented, if any (one indexed read).
    public func match(presented: String) throws(StoreError) -> ClientKey? {
        let hash = Self.hash(presented)
        return try database.read { db in try ClientKey.filter(Column("key_hash") == hash).fetchOne(db) }
    }

    /// Lowercase hex SHA-256 of a key's UTF-8 bytes.
    public static func hash(_ key: String) -> String {
        SHA256.hash(data: Data(key.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
