import Foundation
import JunctionCore

/// Junction's configuration as one document (YAML or JSON): workspaces, servers, routes, the
/// auth scopes they use (by reference: names and the names of their secrets, never values) and
/// the settings set away from their defaults.
///
/// Applying a document makes each section it contains what the document says: entries are
/// matched by name (routes without a name by all their fields), created, changed or deleted. A
/// section the document leaves out is left alone; `settings` only sets the keys it names.
public struct ConfigDocument: Codable, Sendable, Hashable {
    public static let currentVersion = 1

    public var version: Int
    public var workspaces: [WorkspaceEntry]?
    public var servers: [ServerEntry]?
    public var routes: [RouteEntry]?
    /// References: apply checks they exist as described and never creates, changes or deletes one
    /// (secrets are set with `junction scope add` / `junction auth login`).
    public var authScopes: [AuthScopeEntry]?
    public var settings: [String: JSONValue]?

    public init(
        version: Int = ConfigDocument.currentVersion, workspaces: [WorkspaceEntry]? = nil,
        servers: [ServerEntry]? = nil, routes: [RouteEntry]? = nil, authScopes: [AuthScopeEntry]? = nil,
        settings: [String: JSONValue]? = nil
    ) {
        self.version = version
        self.workspaces = workspaces
        self.servers = servers
        self.routes = routes
        self.authScopes = authScopes
        self.settings = settings
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case version, workspaces, servers, routes, settings
        case authScopes = "auth_scopes"
    }

    public struct WorkspaceEntry: Codable, Sendable, Hashable {
        public var name: String
        public var rootPath: String
        public var defaultPolicy: Policy?
        public var tags: [String: String]?

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case name, tags
            case rootPath = "root_path"
            case defaultPolicy = "default_policy"
        }
    }

    /// A server; absent fields take their defaults (`transport` follows from `command` or `url`).
    public struct ServerEntry: Codable, Sendable, Hashable {
        public var name: String
        public var namespace: String?
        public var transport: Downstream.Transport?
        public var command: String?
        public var args: [String]?
        /// Non-secret variables only; secrets belong in auth scopes.
        public var env: [String: String]?
        public var cwd: String?
        public var url: String?
        public var headers: [String: String]?
        public var httpTransport: Downstream.HTTPTransport?
        public var enabled: Bool?
        public var quarantined: Bool?
        public var instanceMode: Downstream.InstanceMode?
        public var idleTimeoutSec: Int?
        public var callTimeoutSec: Int?
        public var tags: [String: String]?

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case name, namespace, transport, command, args, env, cwd, url, headers, enabled, quarantined, tags
            case httpTransport = "http_transport"
            case instanceMode = "instance_mode"
            case idleTimeoutSec = "idle_timeout_sec"
            case callTimeoutSec = "call_timeout_sec"
        }
    }

    /// A route rule; `workspace`, `server` and `auth_scope` are names (no workspace: global).
    public struct RouteEntry: Codable, Sendable, Hashable {
        public var name: String?
        public var workspace: String?
        public var pathGlob: String?
        public var toolPattern: String
        public var server: String?
        public var authScope: String?
        public var policy: Policy?
        public var priority: Int?
        public var approvalTimeoutSec: Int?
        public var cacheTTLSec: Int?
        public var enabled: Bool?

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case name, workspace, server, policy, priority, enabled
            case pathGlob = "path_glob"
            case toolPattern = "tool_pattern"
            case authScope = "auth_scope"
            case approvalTimeoutSec = "approval_timeout_sec"
            case cacheTTLSec = "cache_ttl_sec"
        }
    }

    /// An auth scope by reference: which server it belongs to and the names of its secrets.
    public struct AuthScopeEntry: Codable, Sendable, Hashable {
        public var name: String
        public var server: String
        public var kind: AuthScope.Kind?
        public var envKeys: [String]?
        public var headerKeys: [String]?
        public var oauthProvider: String?

        public enum CodingKeys: String, CodingKey, CaseIterable {
            case name, server, kind
            case envKeys = "env_keys"
            case headerKeys = "header_keys"
            case oauthProvider = "oauth_provider"
        }
    }
}

extension ConfigDocument {
    /// Decodes a document from JSON, refusing unknown keys (a misspelt key would otherwise be
    /// silently ignored) and a version this Junction does not know.
    public static func decode(json data: Data) throws(StoreError) -> ConfigDocument {
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw .invalid(ValidationError(field: "document", message: "the document is not valid JSON or YAML"))
        }
        try checkKeys(value)
        let document: ConfigDocument
        do {
            document = try JSONDecoder().decode(ConfigDocument.self, from: data)
        } catch let error as DecodingError {
            throw .invalid(
                ValidationError(field: Self.path(of: error), message: "invalid document: \(Self.describe(error))"))
        } catch {
            throw .invalid(ValidationError(field: "document", message: "invalid document: \(error)"))
        }
        guard document.version == currentVersion else {
            throw .invalid(
                ValidationError(
                    field: "version",
                    message:
                        "unknown document version \(document.version); this Junction reads version \(currentVersion)"))
        }
        return document
    }

    /// Every key of the document and its entries must be one it knows.
    static func checkKeys(_ value: JSONValue) throws(StoreError) {
        guard case .object(let top) = value else {
            throw .invalid(ValidationError(field: "document", message: "the document must be an object (a mapping)"))
        }
        try known(top, CodingKeys.allCases.map(\.rawValue), at: "")
        let sections: [(String, [String])] = [
            ("workspaces", WorkspaceEntry.CodingKeys.allCases.map(\.rawValue)),
            ("servers", ServerEntry.CodingKeys.allCases.map(\.rawValue)),
            ("routes", RouteEntry.CodingKeys.allCases.map(\.rawValue)),
            ("auth_scopes", AuthScopeEntry.CodingKeys.allCases.map(\.rawValue)),
        ]
        for (section, keys) in sections {
            guard case .array(let entries)? = top[section] else { continue }
            for (index, entry) in entries.enumerated() {
                if case .object(let members) = entry { try known(members, keys, at: "\(section)[\(index)].") }
            }
        }
    }

    private static func known(_ members: [String: JSONValue], _ keys: [String], at path: String) throws(StoreError) {
        for key in members.keys.sorted() where !keys.contains(key) {
            throw .invalid(
                ValidationError(
                    field: path + key,
                    message: "unknown key '\(path)\(key)'; known keys here: \(keys.sorted().joined(separator: ", "))"))
        }
    }

    private static func path(of error: DecodingError) -> String {
        let context: DecodingError.Context? =
            switch error {
            case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): context
            case .keyNotFound(let key, let context):
                DecodingError.Context(codingPath: context.codingPath + [key], debugDescription: "")
            @unknown default: nil
            }
        let path = (context?.codingPath ?? []).map { key in
            key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)"
        }.joined()
        return path.hasPrefix(".") ? String(path.dropFirst()) : (path.isEmpty ? "document" : path)
    }

    private static func describe(_ error: DecodingError) -> String {
        let where_ = path(of: error)
        switch error {
        case .keyNotFound(let key, _): return "'\(where_)' is required (\(key.stringValue))"
        case .typeMismatch(let type, _): return "'\(where_)' must be \(type)"
        case .valueNotFound(let type, _): return "'\(where_)' must be \(type), not null"
        case .dataCorrupted(let context): return "'\(where_)': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
