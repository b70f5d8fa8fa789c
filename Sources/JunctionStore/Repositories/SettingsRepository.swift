import Foundation
import GRDB
import JunctionCore

/// Settings: a small registry of known keys with defaults and validation, stored as JSON values.
/// Unknown keys are refused so a typo never silently does nothing.
public struct SettingsRepository: Sendable {
    public let database: AppDatabase
    /// `JUNCTION_<KEY>` variables override stored values (read, not written).
    let environment: [String: String]

    public init(_ database: AppDatabase, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.database = database
        self.environment = environment
    }

    /// A known setting.
    public struct Definition: Sendable {
        public let key: String
        public let summary: String
        /// The default, as JSON text.
        public let defaultJSON: String
        /// Returns nil when the decoded JSON value is acceptable, else what is expected.
        let check: @Sendable (JSONValue) -> String?
    }

    public static let definitions: [Definition] = [
        Definition(
            key: "default_policy",
            summary: "decision when no rule matches and no workspace contains the client (allow|deny|approve)",
            defaultJSON: #""allow""#,
            check: { value in
                value.stringValue.flatMap(Policy.init(rawValue:)) == nil ? "one of allow, deny, approve" : nil
            }),
        Definition(
            key: "max_message_bytes",
            summary: "largest JSON-RPC message accepted from a client or downstream",
            defaultJSON: "67108864",
            check: { value in value.integerValue.map { $0 >= 1024 } == true ? nil : "an integer of at least 1024" }),
        Definition(
            key: "log_level",
            summary: "daemon log level (trace|debug|info|notice|warning|error|critical)",
            defaultJSON: #""info""#,
            check: { value in
                ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(value.stringValue ?? "")
                    ? nil : "one of trace, debug, info, notice, warning, error, critical"
            }),
        Definition(
            key: "audit_retention_days",
            summary: "days audit records are kept (0 keeps them forever)",
            defaultJSON: "30",
            check: { value in value.integerValue.map { $0 >= 0 } == true ? nil : "an integer of 0 or more" }),
        Definition(
            key: "read_only_cache_ttl_sec",
            summary: "seconds results of tools marked readOnlyHint are reused for identical calls (0: off)",
            defaultJSON: "5",
            check: { value in
                value.integerValue.map { (0...Int64(Limits.maxSeconds)).contains(Int64($0)) } == true
                    ? nil : "an integer from 0 to \(Limits.maxSeconds)"
            }),
        Definition(
            key: "approval_timeout_sec",
            summary: "seconds a parked call waits for a decision when its rule sets none",
            defaultJSON: "300",
            check: { value in
                value.integerValue.map { (1...Int64(Limits.maxSeconds)).contains(Int64($0)) } == true
                    ? nil : "an integer from 1 to \(Limits.maxSeconds)"
            }),
        Definition(
            key: "quarantine_new_servers",
            summary: "servers added from now on (CLI, API, import) start quarantined: their tools hidden and "
                + "calls refused until approved (junction server approve NAME)",
            defaultJSON: "false",
            check: { value in
                if case .bool = value { return nil }
                return "true or false"
            }),
        Definition(
            key: "allowed_hosts",
            summary: "host names the HTTP API answers besides localhost and loopback addresses, "
                + "comma-separated (read at daemon start)",
            defaultJSON: #""""#,
            check: { value in
                guard let text = value.stringValue, allowedHosts(text) != nil else {
                    return "a comma-separated list of host names or addresses, e.g. \"devbox.lan,10.0.0.5\""
                }
                return nil
            }),
        Definition(
            key: "http_idle_timeout_sec",
            summary: "seconds an HTTP connection may sit idle or take to send a request's headers "
                + "before it is closed (read at daemon start)",
            defaultJSON: "60",
            check: { value in
                value.integerValue.map { (1...86_400).contains($0) } == true ? nil : "an integer from 1 to 86400"
            }),
        Definition(
            key: "http_max_connections",
            summary: "open HTTP connections at most; past it the longest-idle one is closed "
                + "(read at daemon start; also bounded by the open-file limit)",
            defaultJSON: "1024",
            check: { value in
                value.integerValue.map { (8...1_048_576).contains($0) } == true
                    ? nil : "an integer from 8 to 1048576"
            }),
        Definition(
            key: "startup_timeout_sec",
            summary: "seconds a server may take to start (initialize and discovery) before it counts as failed",
            defaultJSON: "30",
            check: { value in
                value.integerValue.map { (1...Int64(Limits.maxSeconds)).contains(Int64($0)) } == true
                    ? nil : "an integer from 1 to \(Limits.maxSeconds)"
            }),
        Definition(
            key: "audit_max_payload_bytes",
            summary: "largest call arguments stored whole in an audit record; longer ones are cut, with a marker",
            defaultJSON: "65536",
            check: { value in
                value.integerValue.map { (1024...Int64(Int32.max)).contains(Int64($0)) } == true
                    ? nil : "an integer from 1024 to \(Int32.max)"
            }),
        Definition(
            key: "mcp_session_idle_sec",
            summary: "seconds an MCP-over-HTTP session may sit idle (nothing in flight, no stream open) "
                + "before it ends and its per-session servers stop",
            defaultJSON: "1800",
            check: { value in
                value.integerValue.map { (5...604_800).contains($0) } == true ? nil : "an integer from 5 to 604800"
            }),
        Definition(
            key: "mcp_max_sessions_per_key",
            summary: "MCP-over-HTTP sessions open at once per key; past it a new one is refused (429)",
            defaultJSON: "64",
            check: { value in
                value.integerValue.map { (1...100_000).contains($0) } == true ? nil : "an integer from 1 to 100000"
            }),
        Definition(
            key: "mcp_max_calls_per_key",
            summary: "MCP-over-HTTP requests in flight at once per key; past it a request is refused (429)",
            defaultJSON: "256",
            check: { value in
                value.integerValue.map { (1...100_000).contains($0) } == true ? nil : "an integer from 1 to 100000"
            }),
        Definition(
            key: "api_rate_limit_per_minute",
            summary: "admin API and REST tool call requests per minute per key; past it a request is "
                + "refused (429, Retry-After) until the minute ends (0: no limit)",
            defaultJSON: "60000",
            check: { value in
                value.integerValue.map { (0...1_000_000).contains($0) } == true ? nil : "an integer from 0 to 1000000"
            }),
        Definition(
            key: "max_concurrent_calls",
            summary: "tool calls a server runs at once (a server's own max_concurrent_calls overrides it); "
                + "more wait in line (0: no cap)",
            defaultJSON: "0",
            check: { value in
                value.integerValue.map { (0...10_000).contains($0) } == true ? nil : "an integer from 0 to 10000"
            }),
        Definition(
            key: "max_concurrent_calls_per_key",
            summary: "tool calls one client key runs at once (clients without a named key share the key "
                + "'admin'); more wait in line (0: no cap)",
            defaultJSON: "0",
            check: { value in
                value.integerValue.map { (0...10_000).contains($0) } == true ? nil : "an integer from 0 to 10000"
            }),
        Definition(
            key: "max_queued_calls",
            summary: "tool calls that may wait in line for a capped server or key; past it a call fails at "
                + "once with a tool error saying why",
            defaultJSON: "64",
            check: { value in
                value.integerValue.map { (0...100_000).contains($0) } == true ? nil : "an integer from 0 to 100000"
            }),
        Definition(
            key: "health_check_interval_sec",
            summary: "seconds between health checks (ping) of running servers; one that fails "
                + "health_check_failures in a row is restarted (0: no checks)",
            defaultJSON: "30",
            check: { value in
                value.integerValue.map { (0...86_400).contains($0) } == true ? nil : "an integer from 0 to 86400"
            }),
        Definition(
            key: "health_check_timeout_sec",
            summary: "seconds a health check waits for a server's answer before it counts as failed",
            defaultJSON: "10",
            check: { value in
                value.integerValue.map { (1...600).contains($0) } == true ? nil : "an integer from 1 to 600"
            }),
        Definition(
            key: "health_check_failures",
            summary: "failed health checks in a row that make a server unhealthy: it is killed and restarted",
            defaultJSON: "3",
            check: { value in
                value.integerValue.map { (1...100).contains($0) } == true ? nil : "an integer from 1 to 100"
            }),
        Definition(
            key: "shutdown_timeout_sec",
            summary: "seconds the daemon's shutdown may take before it exits regardless (stuck calls, servers)",
            defaultJSON: "10",
            check: { value in
                value.integerValue.map { (1...600).contains($0) } == true ? nil : "an integer from 1 to 600"
            }),
        Definition(
            key: "oauth_client_metadata_url",
            summary: "URL of Junction's OAuth client metadata document, used as client_id with authorization "
                + "servers that accept one instead of dynamic registration (empty: none)",
            defaultJSON: #""""#,
            check: { value in
                guard let text = value.stringValue else { return "a URL string (https://…) or \"\"" }
                if text.isEmpty { return nil }
                guard let url = URLComponents(string: text), url.scheme == "https", url.host?.isEmpty == false,
                    url.path.count > 1
                else { return "an https URL with a path, or \"\"" }
                return nil
            }),
        Definition(
            key: "oauth_refresh_check_sec",
            summary: "seconds between the daemon's looks for OAuth tokens due for a refresh (read at start)",
            defaultJSON: "30",
            check: { value in
                value.integerValue.map { (1...3600).contains($0) } == true ? nil : "an integer from 1 to 3600"
            }),
        Definition(
            key: "slim_tools",
            summary: "tools/list shows only junction__search_tools and junction__call_tool, which find and call "
                + "every tool routing allows (saves tokens with many tools; a workspace's slim_tools overrides it)",
            defaultJSON: "false",
            check: { value in SettingsRepository.flag(value) == nil ? "true or false" : nil }),
        Definition(
            key: "tools_cache_ttl_sec",
            summary: "seconds a running server's tool catalog is trusted; an older one is re-listed from the server "
                + "on the next tools/list (0: only when the server says its tools changed)",
            defaultJSON: "0",
            check: { value in
                value.integerValue.map { (0...86_400).contains($0) } == true ? nil : "an integer from 0 to 86400"
            }),
        Definition(
            key: "codex_dynamic_tool_compat",
            summary: "Codex clients, which list tools once and ignore list_changed, also get junction__search_tools "
                + "and junction__call_tool, so tools that appear later stay reachable",
            defaultJSON: "false",
            check: { value in SettingsRepository.flag(value) == nil ? "true or false" : nil }),
        Definition(
            key: "tool_description_overrides",
            summary: "descriptions shown in tools/list instead of a tool's own, by client-visible tool name "
                + "(built-in tools too), e.g. {\"github__create_issue\": \"…\"}",
            defaultJSON: "{}",
            check: { value in
                guard case .object(let overrides) = value,
                    overrides.allSatisfy({ !$0.key.isEmpty && $0.value.stringValue != nil })
                else { return "an object of tool name → description string" }
                return nil
            }),
        Definition(
            key: "tool_pinning",
            summary: "quarantine a tool whose definition (description, schemas) changed since it was approved, "
                + "until `junction server approve-tools` (false: changes are pinned silently)",
            defaultJSON: "true",
            check: { value in
                if case .bool = value { return nil }
                return "true or false"
            }),
    ]

    /// The names of an `allowed_hosts` value, lowercased; nil when one is not a host name, an
    /// IPv4 address or a bracketed IPv6 address (with or without a port).
    public static func allowedHosts(_ text: String) -> [String]? {
        var names: [String] = []
        for part in text.split(separator: ",") {
            let name = part.trimmingCharacters(in: .whitespaces).lowercased()
            guard !name.isEmpty else { continue }
            let allowed = name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"),
                    UInt8(ascii: "["), UInt8(ascii: "]"):
                    true
                default: false
                }
            }
            guard allowed else { return nil }
            names.append(name)
        }
        return names
    }

    public static func definition(_ key: String) throws(StoreError) -> Definition {
        guard let definition = definitions.first(where: { $0.key == key }) else {
            let known = definitions.map(\.key).joined(separator: ", ")
            throw .invalid(ValidationError(field: key, message: "unknown setting '\(key)'; known settings: \(known)"))
        }
        return definition
    }

    /// One setting's effective value as JSON text, and where it comes from.
    public struct Value: Sendable, Equatable {
        /// Defaults < database < environment: the first that has the key wins from the right.
        public enum Source: String, Sendable, Codable {
            case `default`
            case database
            case environment
        }

        public var key: String
        public var json: String
        public var isDefault: Bool
        public var source: Source

        public init(key: String, json: String, isDefault: Bool, source: Source? = nil) {
            self.key = key
            self.json = json
            self.isDefault = isDefault
            self.source = source ?? (isDefault ? .default : .database)
        }
    }

    /// The environment variable that overrides `key`: `JUNCTION_` and the key in capitals.
    public static func environmentVariable(for key: String) -> String { "JUNCTION_" + key.uppercased() }

    /// The override of `key` from the environment as JSON text, if set and acceptable. A bare
    /// word (`JUNCTION_LOG_LEVEL=debug`) is read as a string.
    func environmentOverride(_ definition: Definition) -> Value? {
        guard let raw = environment[Self.environmentVariable(for: definition.key)] else { return nil }
        let decoded =
            (try? JSONDecoder().decode(JSONValue.self, from: Data(raw.utf8))) ?? JSONValue.string(raw)
        guard definition.check(decoded) == nil, let json = Self.normalizedJSON(decoded) else { return nil }
        return Value(key: definition.key, json: json, isDefault: false, source: .environment)
    }

    static func normalizedJSON(_ value: JSONValue) -> String? {
        var normalized = value
        if case .double = value, let integer = value.integerValue { normalized = .integer(integer) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(normalized)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every known setting with its effective value.
    public func all() throws(StoreError) -> [Value] {
        let stored = try database.read { db in
            try Dictionary(
                Row.fetchAll(db, sql: "SELECT key, value FROM settings").map {
                    ($0["key"] as String, $0["value"] as String)
                },
                uniquingKeysWith: { first, _ in first })
        }
        return Self.definitions.map { definition in
            if let override = environmentOverride(definition) { return override }
            if let json = stored[definition.key] { return Value(key: definition.key, json: json, isDefault: false) }
            return Value(key: definition.key, json: definition.defaultJSON, isDefault: true)
        }
    }

    public func get(_ key: String) throws(StoreError) -> Value {
        let definition = try Self.definition(key)
        if let override = environmentOverride(definition) { return override }
        let stored = try database.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM settings WHERE key = ?", arguments: [key])
        }
        return Value(key: key, json: stored ?? definition.defaultJSON, isDefault: stored == nil)
    }

    /// Validates and stores a JSON value.
    @discardableResult
    public func set(_ key: String, json: String) throws(StoreError) -> Value {
        guard let decoded = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else {
            _ = try Self.definition(key)
            throw .invalid(ValidationError(field: key, message: "setting '\(key)': value is not valid JSON: \(json)"))
        }
        return try setAll([key: decoded])[0]
    }

    /// Validates every value, then stores them all in one transaction, or none.
    @discardableResult
    public func setAll(_ values: [String: JSONValue]) throws(StoreError) -> [Value] {
        var accepted: [Value] = []
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            let definition = try Self.definition(key)
            // Store one spelling per value: a whole number given as 2048.0 is kept as 2048.
            let json = Self.normalizedJSON(value) ?? "null"
            if let expected = definition.check(value) {
                throw .invalid(
                    ValidationError(field: key, message: "setting '\(key)' must be \(expected), got \(json)"))
            }
            accepted.append(Value(key: key, json: json, isDefault: false))
        }
        let now = Date()
        try database.write { db in
            for value in accepted {
                try db.execute(
                    sql: """
                        INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                        """,
                    arguments: [value.key, value.json, now])
                try AuditRecord.change(
                    .configChange, "setting/updated", name: value.key,
                    details: ["value": JSONValue.parse(value.json) ?? .null], at: now
                ).insert(db)
            }
        }
        return accepted
    }

    /// Returns a setting to its default.
    @discardableResult
    public func reset(_ key: String) throws(StoreError) -> Value {
        let definition = try Self.definition(key)
        try database.write { db in
            try db.execute(sql: "DELETE FROM settings WHERE key = ?", arguments: [key])
            try AuditRecord.change(.configChange, "setting/reset", name: key).insert(db)
        }
        return Value(key: key, json: definition.defaultJSON, isDefault: true)
    }

    /// The value of a JSON boolean.
    static func flag(_ value: JSONValue) -> Bool? {
        if case .bool(let flag) = value { return flag }
        return nil
    }
}
