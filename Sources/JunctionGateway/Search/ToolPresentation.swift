import JunctionStore

/// How tools are shown to clients, from the settings `slim_tools`, `tool_description_overrides`,
/// `codex_dynamic_tool_compat` and `tools_cache_ttl_sec`; the engine re-reads them whenever the
/// configuration changes.
public struct ToolPresentation: Sendable, Equatable {
    /// `tools/list` shows only the built-in meta-tools (a workspace may say otherwise).
    public var slimTools = false
    /// Descriptions shown instead of a tool's own, by client-visible name (built-in tools too).
    public var descriptionOverrides: [String: String] = [:]
    /// Codex clients get the meta-tools besides their tools.
    public var codexCompat = false
    /// Seconds a running server's catalog is trusted before it is listed again (0: until the
    /// server says its lists changed).
    public var catalogTTLSec = 0

    public init() {}

    /// The effective settings.
    public init(settings: SettingsSnapshot) {
        slimTools = settings[.slimTools]
        descriptionOverrides = settings[.toolDescriptionOverrides]
        codexCompat = settings[.codexDynamicToolCompat]
        catalogTTLSec = settings[.toolsCacheTTLSec]
    }
}
