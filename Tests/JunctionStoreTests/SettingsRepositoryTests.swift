import Foundation
import JunctionCore
import Testing

@testable import JunctionStore

@Suite("SettingsRepository")
struct SettingsRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    static let known = [
        "default_policy", "max_message_bytes", "log_level", "audit_retention_days", "read_only_cache_ttl_sec",
        "approval_timeout_sec", "quarantine_new_servers", "allowed_hosts", "http_idle_timeout_sec",
        "http_max_connections",
        "startup_timeout_sec", "audit_max_payload_bytes", "mcp_session_idle_sec", "mcp_max_sessions_per_key",
        "mcp_max_calls_per_key", "api_rate_limit_per_minute", "max_concurrent_calls", "max_concurrent_calls_per_key",
        "max_queued_calls", "health_check_interval_sec", "health_check_timeout_sec", "health_check_failures",
        "shutdown_timeout_sec", "oauth_client_metadata_url", "oauth_refresh_check_sec",
        "slim_tools", "tools_cache_ttl_sec", "codex_dynamic_tool_compat", "tool_description_overrides",
        "tool_pinning",
    ]

    @Test("a fresh database has every setting at its default")
    func defaults() throws {
        let all = try store.settings.all()
        #expect(all.map(\.key) == Self.known)
        #expect(all.allSatisfy { $0.isDefault })
        let values = Dictionary(uniqueKeysWithValues: all.map { ($0.key, $0.json) })
        #expect(values["default_policy"] == #""allow""#)
        #expect(values["max_message_bytes"] == "67108864")
        #expect(values["log_level"] == #""info""#)
        #expect(values["audit_retention_days"] == "30")
        #expect(values["approval_timeout_sec"] == "300")
        #expect(values["quarantine_new_servers"] == "false")
        #expect(values["read_only_cache_ttl_sec"] == "5")
        #expect(values["allowed_hosts"] == #""""#)
        #expect(values["http_idle_timeout_sec"] == "60")
        #expect(values["http_max_connections"] == "1024")
        #expect(values["startup_timeout_sec"] == "30")
        #expect(values["audit_max_payload_bytes"] == "65536")
        #expect(values["shutdown_timeout_sec"] == "10")
        #expect(values["oauth_client_metadata_url"] == #""""#)
        #expect(values["oauth_refresh_check_sec"] == "30")
        #expect(values["slim_tools"] == "false")
        #expect(values["tools_cache_ttl_sec"] == "0")
        #expect(values["codex_dynamic_tool_compat"] == "false")
        #expect(values["tool_description_overrides"] == "{}")
        #expect(try store.settings.get("log_level") == .init(key: "log_level", json: #""info""#, isDefault: true))
    }

    @Test("set, get and reset")
    func setGetReset() throws {
        let saved = try store.settings.set("audit_retention_days", json: "0")
        #expect(saved == .init(key: "audit_retention_days", json: "0", isDefault: false))
        #expect(try store.settings.get("audit_retention_days") == saved)
        #expect(try store.settings.all().first { $0.key == "audit_retention_days" } == saved)

        try store.settings.set("audit_retention_days", json: "90")
        #expect(try store.settings.get("audit_retention_days").json == "90")

        let reset = try store.settings.reset("audit_retention_days")
        #expect(reset == .init(key: "audit_retention_days", json: "30", isDefault: true))
        #expect(try store.settings.get("audit_retention_days") == reset)
        #expect(try store.settings.reset("audit_retention_days").isDefault)
    }

    @Test("an unknown key is refused with the list of known keys")
    func unknownKey() throws {
        let known = Self.known.joined(separator: ", ")
        for attempt in [
            { _ = try store.settings.get("nope") }, { _ = try store.settings.set("nope", json: "1") },
            { _ = try store.settings.reset("nope") },
        ] as [() throws -> Void] {
            expectInvalid("nope", "unknown setting 'nope'; known settings: \(known)") { try attempt() }
        }
    }

    @Test("flags and description overrides are read back as typed values")
    func flagAndMapReads() throws {
        #expect(try store.settings.value(.slimTools) == false)
        try store.settings.set("slim_tools", json: "true")
        #expect(try store.settings.value(.slimTools))
        try store.settings.set("tool_description_overrides", json: #"{"git__push": "Push, carefully."}"#)
        #expect(try store.settings.value(.toolDescriptionOverrides) == ["git__push": "Push, carefully."])
        #expect(try store.settings.snapshot()[.toolDescriptionOverrides] == ["git__push": "Push, carefully."])
    }

    @Test("a whole number given with a fraction part is stored as an integer")
    func wholeNumbersAreNormalised() throws {
        #expect(try store.settings.set("max_message_bytes", json: "2048.0").json == "2048")
        #expect(try store.settings.get("max_message_bytes").json == "2048")
    }

    static let refused: [(String, String)] = [
        ("default_policy", #""maybe""#),
        ("default_policy", #""ALLOW""#),
        ("default_policy", "1"),
        ("default_policy", "null"),
        ("log_level", #""verbose""#),
        ("max_message_bytes", #""2048""#),
        ("max_message_bytes", "-5"),
        ("max_message_bytes", "4096.5"),
        ("max_message_bytes", "1023"),
        ("audit_retention_days", "-1"),
        ("audit_retention_days", #""30""#),
        ("audit_retention_days", "2.5"),
        ("audit_retention_days", "true"),
        ("approval_timeout_sec", "0"),
        ("approval_timeout_sec", "[300]"),
        ("allowed_hosts", "1"),
        ("allowed_hosts", #""evil host""#),
        ("allowed_hosts", #""a.example,b/c""#),
        ("http_idle_timeout_sec", "0"),
        ("http_idle_timeout_sec", "86401"),
        ("http_max_connections", "7"),
        ("http_max_connections", #""many""#),
        ("startup_timeout_sec", "0"),
        ("startup_timeout_sec", "604801"),
        ("startup_timeout_sec", #""30""#),
        ("audit_max_payload_bytes", "1023"),
        ("audit_max_payload_bytes", "4294967296"),
        ("oauth_client_metadata_url", #""http://insecure.example.com/client.json""#),
        ("oauth_client_metadata_url", #""https://no-path.example.com""#),
        ("oauth_client_metadata_url", "5"),
        ("oauth_refresh_check_sec", "0"),
        ("oauth_refresh_check_sec", "3601"),
        ("slim_tools", "1"),
        ("slim_tools", #""true""#),
        ("tools_cache_ttl_sec", "-1"),
        ("tools_cache_ttl_sec", "86401"),
        ("codex_dynamic_tool_compat", "null"),
        ("tool_description_overrides", #""describe""#),
        ("tool_description_overrides", #"{"a__b":5}"#),
        ("tool_description_overrides", #"{"":"no name"}"#),
    ]

    @Test("values of the wrong type or range are refused and nothing is stored", arguments: refused)
    func typeChecks(key: String, json: String) throws {
        expectInvalid(key, "setting '\(key)' must be", "got \(json)") { try store.settings.set(key, json: json) }
        #expect(try store.settings.get(key).isDefault)
    }

    @Test("a value that is not JSON is refused")
    func notJSON() throws {
        expectInvalid("default_policy", "is not valid JSON") { try store.settings.set("default_policy", json: "deny") }
    }

    static let accepted: [(String, String)] = [
        ("default_policy", #""deny""#),
        ("default_policy", #""approve""#),
        ("max_message_bytes", "1024"),
        ("audit_retention_days", "0"),
        ("approval_timeout_sec", "1"),
        ("startup_timeout_sec", "5"),
        ("audit_max_payload_bytes", "1024"),
        ("log_level", #""trace""#),
        ("allowed_hosts", #""devbox.lan, 10.0.0.5,[::1]:8080""#),
        ("http_idle_timeout_sec", "1"),
        ("http_max_connections", "50"),
    ]

    @Test("values of the right type and range are stored", arguments: accepted)
    func acceptedValues(key: String, json: String) throws {
        try store.settings.set(key, json: json)
        #expect(try store.settings.get(key) == .init(key: key, json: json, isDefault: false))
    }

    @Test("typed reads give effective values, environment first, one at a time or in a snapshot")
    func typedReads() throws {
        #expect(try store.settings.value(.httpIdleTimeoutSec) == 60)
        try store.settings.set("http_max_connections", json: "64")
        #expect(try store.settings.value(.httpMaxConnections) == 64)
        let overridden = SettingsRepository(
            store.database,
            environment: ["JUNCTION_HTTP_IDLE_TIMEOUT_SEC": "2", "JUNCTION_ALLOWED_HOSTS": "a.lan,B.lan"])
        #expect(try overridden.value(.httpIdleTimeoutSec) == 2)
        #expect(try overridden.value(.allowedHosts) == ["a.lan", "b.lan"])
        let snapshot = try overridden.snapshot()
        #expect(snapshot[.httpIdleTimeoutSec] == 2 && snapshot[.httpMaxConnections] == 64)
        #expect(snapshot[.allowedHosts] == ["a.lan", "b.lan"] && snapshot[.oauthClientMetadataURL] == nil)
        #expect(SettingsRepository.allowedHosts("a.lan, B.lan,,") == ["a.lan", "b.lan"])
        #expect(SettingsRepository.allowedHosts("a lan") == nil)
    }

    @Test("every setting has exactly one typed key, and each reads its default on a fresh install")
    func everySettingHasAKey() throws {
        let snapshot = try store.settings.snapshot()
        let integers: [SettingKey<Int>] = [
            .maxMessageBytes, .auditRetentionDays, .readOnlyCacheTTLSec, .approvalTimeoutSec, .httpIdleTimeoutSec,
            .httpMaxConnections, .startupTimeoutSec, .auditMaxPayloadBytes, .mcpSessionIdleSec, .mcpMaxSessionsPerKey,
            .mcpMaxCallsPerKey, .apiRateLimitPerMinute, .maxConcurrentCalls, .maxConcurrentCallsPerKey,
            .maxQueuedCalls, .healthCheckIntervalSec, .healthCheckTimeoutSec, .healthCheckFailures,
            .shutdownTimeoutSec, .oauthRefreshCheckSec, .toolsCacheTTLSec,
        ]
        let flags: [SettingKey<Bool>] = [.quarantineNewServers, .slimTools, .codexDynamicToolCompat, .toolPinning]
        for key in integers {
            let definition = try SettingsRepository.definition(key.name)
            #expect(snapshot[key] == Int(definition.defaultJSON), "\(key.name)")
        }
        for key in flags {
            #expect(snapshot[key] == (try SettingsRepository.definition(key.name).defaultJSON == "true"), "\(key.name)")
        }
        #expect(snapshot[.logLevel] == "info" && snapshot[.defaultPolicy] == .allow)
        #expect(snapshot[.allowedHosts] == [] && snapshot[.toolDescriptionOverrides] == [:])
        let names =
            integers.map(\.name) + flags.map(\.name)
            + [
                SettingKey<String>.logLevel.name, SettingKey<String?>.oauthClientMetadataURL.name,
                SettingKey<[String]>.allowedHosts.name, SettingKey<[String: String]>.toolDescriptionOverrides.name,
                SettingKey<Policy>.defaultPolicy.name,
            ]
        #expect(names.sorted() == SettingsRepository.definitions.map(\.key).sorted())
    }

    @Test("the default policy is allow on a fresh install and follows the setting")
    func defaultPolicy() throws {
        #expect(try store.settings.value(.defaultPolicy) == .allow)
        try store.settings.set("default_policy", json: #""deny""#)
        #expect(try store.settings.value(.defaultPolicy) == .deny)
        try store.settings.set("default_policy", json: #""approve""#)
        #expect(try store.settings.value(.defaultPolicy) == .approve)
        try store.settings.reset("default_policy")
        #expect(try store.settings.value(.defaultPolicy) == .allow)
    }
}
