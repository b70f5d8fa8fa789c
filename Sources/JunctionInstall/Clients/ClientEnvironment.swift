import Foundation

/// Where client configuration lives on this machine: the platform and the environment variables
/// the paths come from (HOME, XDG_CONFIG_HOME, APPDATA, USERPROFILE, CODEX_HOME).
public struct ClientEnvironment: Sendable, Hashable {
    public enum Platform: String, Sendable, CaseIterable {
        case linux
        case macOS = "macos"
        case windows
    }

    public var platform: Platform
    public var variables: [String: String]

    public init(platform: Platform, variables: [String: String]) {
        self.platform = platform
        self.variables = variables
    }

    /// This process's platform and environment.
    public static func current(
        variables: [String: String] = ProcessInfo.processInfo.environment
    ) -> ClientEnvironment {
        #if os(macOS)
        ClientEnvironment(platform: .macOS, variables: variables)
        #elseif os(Windows)
        ClientEnvironment(platform: .windows, variables: variables)
        #else
        ClientEnvironment(platform: .linux, variables: variables)
        #endif
    }

    func variable(_ name: String) -> String? {
        variables[name].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The user's home folder.
    public var home: String {
        switch platform {
        case .windows: variable("USERPROFILE") ?? variable("HOME") ?? "C:\\Users\\Default"
        case .linux, .macOS: variable("HOME") ?? NSHomeDirectory()
        }
    }

    /// `$XDG_CONFIG_HOME`, else `~/.config` (used on Linux, and by tools that follow XDG everywhere).
    public var xdgConfigHome: String {
        if let xdg = variable("XDG_CONFIG_HOME"), platform != .windows, xdg.hasPrefix("/") { return xdg }
        return join(home, ".config")
    }

    /// `%APPDATA%` on Windows.
    public var appData: String {
        variable("APPDATA") ?? join(home, "AppData", "Roaming")
    }

    /// The folder the platform keeps application settings in: `~/Library/Application Support` on
    /// macOS, `%APPDATA%` on Windows, the XDG config folder on Linux.
    public var applicationSupport: String {
        switch platform {
        case .macOS: join(home, "Library", "Application Support")
        case .windows: appData
        case .linux: xdgConfigHome
        }
    }

    /// Joins path components with the platform's separator.
    public func join(_ base: String, _ parts: String...) -> String {
        join(base, parts)
    }

    func join(_ base: String, _ parts: [String]) -> String {
        let separator = platform == .windows ? "\\" : "/"
        var result = base
        for part in parts {
            if result.hasSuffix(separator) || result.isEmpty {
                result += part
            } else {
                result += separator + part
            }
        }
        return result
    }
}
