import Foundation
import JunctionCore

/// A known setting and the type it is read as. The keys are declared once, below, so a use site
/// names `.maxQueuedCalls` and gets an `Int`: no key spelled as a string, no JSON parsed there.
public struct SettingKey<Value: Sendable>: Sendable {
    public let name: String
    /// The value a stored (validated) JSON value stands for; nil when it cannot be read as one.
    let read: @Sendable (JSONValue) -> Value?

    init(_ name: String, read: @escaping @Sendable (JSONValue) -> Value?) {
        self.name = name
        self.read = read
    }
}

/// Every setting's effective value (environment override, else stored, else default), read in
/// one query and decoded once. Take one where several settings are read together, or once per
/// reload; it does not follow later changes.
public struct SettingsSnapshot: Sendable {
    let values: [String: JSONValue]

    /// The setting's value. A value that cannot be read as the key's type (stored values are
    /// validated on write, so only a hand-edited database has one) gives the default.
    public subscript<Value>(_ key: SettingKey<Value>) -> Value {
        if let value = values[key.name].flatMap(key.read) { return value }
        guard let definition = SettingsRepository.definitions.first(where: { $0.key == key.name }),
            let fallback = JSONValue.parse(definition.defaultJSON).flatMap(key.read)
        else {
            preconditionFailure("setting '\(key.name)' is declared as a key but has no readable default")
        }
        return fallback
    }
}

extension SettingsRepository {
    /// Every setting's effective value, in one read.
    public func snapshot() throws(StoreError) -> SettingsSnapshot {
        var values: [String: JSONValue] = [:]
        for value in try all() {
            values[value.key] = JSONValue.parse(value.json)
        }
        return SettingsSnapshot(values: values)
    }

    /// One setting's effective value.
    public func value<Value>(_ key: SettingKey<Value>) throws(StoreError) -> Value {
        let value = try get(key.name)
        return SettingsSnapshot(values: JSONValue.parse(value.json).map { [key.name: $0] } ?? [:])[key]
    }
}

// MARK: - The keys

extension SettingKey where Value == Int {
    init(integer name: String) {
        self.init(name) { $0.integerValue.map { Int($0) } }
    }

    public static var maxMessageBytes: Self { .init(integer: "max_message_bytes") }
    public static var auditRetentionDays: Self { .init(integer: "audit_retention_days") }
    public static var readOnlyCacheTTLSec: Self { .init(integer: "read_only_cache_ttl_sec") }
    public static var approvalTimeoutSec: Self { .init(integer: "approval_timeout_sec") }
    public static var httpIdleTimeoutSec: Self { .init(integer: "http_idle_timeout_sec") }
    public static var httpMaxConnections: Self { .init(integer: "http_max_connections") }
    public static var startupTimeoutSec: Self { .init(integer: "startup_timeout_sec") }
    public static var auditMaxPayloadBytes: Self { .init(integer: "audit_max_payload_bytes") }
    public static var mcpSessionIdleSec: Self { .init(integer: "mcp_session_idle_sec") }
    public static var mcpMaxSessionsPerKey: Self { .init(integer: "mcp_max_sessions_per_key") }
    public static var mcpMaxCallsPerKey: Self { .init(integer: "mcp_max_calls_per_key") }
    public static var apiRateLimitPerMinute: Self { .init(integer: "api_rate_limit_per_minute") }
    public static var maxConcurrentCalls: Self { .init(integer: "max_concurrent_calls") }
    public static var maxConcurrentCallsPerKey: Self { .init(integer: "max_concurrent_calls_per_key") }
    public static var maxQueuedCalls: Self { .init(integer: "max_queued_calls") }
    public static var healthCheckIntervalSec: Self { .init(integer: "health_check_interval_sec") }
    public static var healthCheckTimeoutSec: Self { .init(integer: "health_check_timeout_sec") }
    public static var healthCheckFailures: Self { .init(integer: "health_check_failures") }
    public static var shutdownTimeoutSec: Self { .init(integer: "shutdown_timeout_sec") }
    public static var oauthRefreshCheckSec: Self { .init(integer: "oauth_refresh_check_sec") }
    public static var toolsCacheTTLSec: Self { .init(integer: "tools_cache_ttl_sec") }
}

extension SettingKey where Value == Bool {
    init(flag name: String) {
        self.init(name) { SettingsRepository.flag($0) }
    }

    public static var quarantineNewServers: Self { .init(flag: "quarantine_new_servers") }
    public static var slimTools: Self { .init(flag: "slim_tools") }
    public static var codexDynamicToolCompat: Self { .init(flag: "codex_dynamic_tool_compat") }
    public static var toolPinning: Self { .init(flag: "tool_pinning") }
}

extension SettingKey where Value == String {
    public static var logLevel: Self { .init("log_level") { $0.stringValue } }
}

extension SettingKey where Value == String? {
    /// A URL, or nil when the setting is empty.
    public static var oauthClientMetadataURL: Self {
        .init("oauth_client_metadata_url") { value in value.stringValue.map { $0.isEmpty ? nil : $0 } }
    }
}

extension SettingKey where Value == [String] {
    /// Host names, lowercased, from the comma-separated setting.
    public static var allowedHosts: Self {
        .init("allowed_hosts") { value in value.stringValue.flatMap(SettingsRepository.allowedHosts) }
    }
}

extension SettingKey where Value == [String: String] {
    public static var toolDescriptionOverrides: Self {
        .init("tool_description_overrides") { value in
            guard case .object(let members) = value else { return nil }
            return members.compactMapValues(\.stringValue)
        }
    }
}

extension SettingKey where Value == Policy {
    public static var defaultPolicy: Self {
        .init("default_policy") { value in value.stringValue.flatMap(Policy.init(rawValue:)) }
    }
}
