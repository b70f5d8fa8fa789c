import Foundation
import Hummingbird
import JunctionCore
import JunctionStore

/// `GET /admin/proxy-config` (the stored servers in the seed's `mcpServers` form) and
/// `POST /admin/validate-proxy-config` (checks such a document without applying anything).
extension ProxyEngineController {
    struct ServerSettings: Encodable, Sendable {
        var timeout: Int
        var idleTimeout: Int
        var toolPrefix: String
        var instanceMode: String

        enum CodingKeys: String, CodingKey {
            case timeout
            case idleTimeout = "idle_timeout"
            case toolPrefix = "tool_prefix"
            case instanceMode = "instance_mode"
        }
    }

    struct ConfiguredServer: Encodable, Sendable {
        var enabled: Bool
        var quarantined: Bool
        @Nullable var description: String? = nil
        var type: String
        @Nullable var command: String? = nil
        var args: [String]
        @Nullable var url: String? = nil
        var tags: [String]
        var settings: ServerSettings

        enum CodingKeys: String, CodingKey {
            case enabled, quarantined, description, type, command, args, url, tags, settings
        }
    }

    struct GlobalSettings: Encodable, Sendable {
        @Nullable var maxConcurrentCalls: Int? = nil
        @Nullable var approvalTimeoutSec: Int? = nil
        @Nullable var startupTimeoutSec: Int? = nil
        var enableTimelineLogging = true

        enum CodingKeys: String, CodingKey {
            case maxConcurrentCalls = "max_concurrent_calls"
            case approvalTimeoutSec = "approval_timeout_sec"
            case startupTimeoutSec = "startup_timeout_sec"
            case enableTimelineLogging = "enable_timeline_logging"
        }

    }

    struct ProxyConfig: Encodable, Sendable {
        var version: String
        var mcpServers: [String: ConfiguredServer]
        var globalSettings: GlobalSettings

        enum CodingKeys: String, CodingKey {
            case version, mcpServers
            case globalSettings = "global_settings"
        }
    }

    struct Validation: Encodable, Sendable {
        var valid: Bool
        var errors: [String]
        var warnings: [String]
        var serversValidated: Int

        enum CodingKeys: String, CodingKey {
            case valid, errors, warnings
            case serversValidated = "servers_validated"
        }
    }

    func addConfigRoutes(to group: RouterGroup<APIContext>) {
        group.get("admin/proxy-config") { _, _ in try APIResponse.json(config()) }
        group.post("admin/validate-proxy-config") { request, context in
            let document = try await request.decodeJSON(JSONValue.self, context: context)
            return try APIResponse.json(validate(document))
        }
    }

    func config() throws -> ProxyConfig {
        var servers: [String: ConfiguredServer] = [:]
        for downstream in try DownstreamRepository(environment.database).list() {
            servers[downstream.name] = ConfiguredServer(
                enabled: downstream.enabled, quarantined: downstream.quarantined, description: nil,
                type: SeedServerFacts.proxyType(of: downstream), command: downstream.command, args: downstream.args,
                url: downstream.url,
                tags: downstream.tagList,
                settings: ServerSettings(
                    timeout: downstream.callTimeoutSec, idleTimeout: downstream.idleTimeoutSec,
                    toolPrefix: ToolNaming.visibleName(namespace: downstream.namespace, name: ""),
                    instanceMode: downstream.instanceMode.rawValue))
        }
        let settings = try? SettingsRepository(environment.database).snapshot()
        return ProxyConfig(
            version: Self.proxyVersion, mcpServers: servers,
            globalSettings: GlobalSettings(
                maxConcurrentCalls: settings?[.mcpMaxCallsPerKey],
                approvalTimeoutSec: settings?[.approvalTimeoutSec],
                startupTimeoutSec: settings?[.startupTimeoutSec]))
    }

    /// Checks a document in the seed's form: every server needs a valid name, a known `type`
    /// (or one that follows from `command` or `url`), a command for stdio and an http(s) URL
    /// otherwise; optional members must have their types. Nothing is applied.
    func validate(_ document: JSONValue) throws -> Validation {
        guard case .object(let members) = document else {
            throw APIError(.badRequest, code: "CONFIGURATION_ERROR", "the configuration must be a JSON object")
        }
        var errors: [String] = []
        var warnings: [String] = []
        if let version = members["version"], version.stringValue == nil {
            errors.append("version must be a string")
        }
        guard case .object(let servers)? = members["mcpServers"] else {
            errors.append("mcpServers is required: an object of servers by name")
            return Validation(valid: false, errors: errors, warnings: warnings, serversValidated: 0)
        }
        let existing = Set((try? DownstreamRepository(environment.database).list())?.map(\.name) ?? [])
        for (name, value) in servers.sorted(by: { $0.key < $1.key }) {
            let (serverErrors, serverWarnings) = Self.check(server: name, value, exists: existing.contains(name))
            errors += serverErrors
            warnings += serverWarnings
        }
        return Validation(valid: errors.isEmpty, errors: errors, warnings: warnings, serversValidated: servers.count)
    }

    static func check(server name: String, _ value: JSONValue, exists: Bool) -> (errors: [String], warnings: [String]) {
        guard case .object(let fields) = value else { return (["Server '\(name)' must be an object"], []) }
        var errors: [String] = []
        var warnings: [String] = []
        do {
            try Validate.name(name, kind: "server")
        } catch {
            errors.append("Server '\(name)': \(error.message)")
        }
        if let enabled = fields["enabled"], case .bool = enabled {
        } else if fields["enabled"] != nil {
            errors.append("Server '\(name)': enabled must be true or false")
        }
        let command = fields["command"]?.stringValue
        let url = fields["url"]?.stringValue
        let type = fields["type"]?.stringValue ?? (command != nil ? "stdio" : url != nil ? "streamable-http" : nil)
        switch type {
        case "stdio"?:
            if (command ?? "").isEmpty { errors.append("Server '\(name)': a stdio server needs a command") }
        case "streamable-http"?, "http"?, "sse"?:
            let parsed = url.flatMap { URL(string: $0) }
            if parsed?.host == nil || !["http", "https"].contains(parsed?.scheme?.lowercased() ?? "") {
                errors.append("Server '\(name)': a \(type ?? "") server needs an http or https url")
            }
        case nil:
            errors.append("Server '\(name)': give type with command (stdio) or url (streamable-http, sse)")
        case let other?:
            errors.append("Server '\(name)': unknown type '\(other)' (stdio, streamable-http or sse)")
        }
        if let args = fields["args"] {
            if case .array(let items) = args, items.allSatisfy({ $0.stringValue != nil }) {
            } else {
                errors.append("Server '\(name)': args must be a list of strings")
            }
        }
        if let env = fields["env"] {
            if case .object(let variables) = env, variables.values.allSatisfy({ $0.stringValue != nil }) {
            } else {
                errors.append("Server '\(name)': env must be an object of strings")
            }
        }
        var timeout = fields["timeout"]
        if case .object(let settings)? = fields["settings"], let inner = settings["timeout"] { timeout = inner }
        if let timeout {
            if let seconds = timeout.integerValue, seconds > 0 {
            } else {
                errors.append("Server '\(name)': timeout must be a whole number of seconds above 0")
            }
        } else {
            warnings.append(
                "Server '\(name)' has no timeout configured, using default (\(Downstream.defaultCallTimeoutSec) s)")
        }
        if exists { warnings.append("Server '\(name)' is configured already; applying would change it") }
        return (errors, warnings)
    }
}
