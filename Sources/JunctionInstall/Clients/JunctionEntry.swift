import Foundation

/// The server entry Junction puts into a client: its own binary with `stdio` (and `--workspace`),
/// or the URL of the daemon's `/mcp` with the key in a header (`install --http`).
public struct JunctionEntry: Sendable, Hashable {
    /// The key of the entry in the client's servers object.
    public static let key = "junction"

    public var command: String
    public var args: [String]
    /// The URL form: the daemon's `/mcp` endpoint (nil for the command form).
    public var url: String?
    /// Headers sent with every request of the URL form (the key as `Authorization: Bearer`).
    public var headers: [String: String] = [:]

    public init(command: String, workspace: String? = nil) {
        self.command = command
        self.args = ["stdio"] + (workspace.map { ["--workspace", $0] } ?? [])
    }

    /// The URL form, with `key` sent as `Authorization: Bearer` when given.
    public init(url: String, key: String?) {
        self.command = ""
        self.args = []
        self.url = url
        if let key { headers["Authorization"] = "Bearer " + key }
    }

    /// Keys of an entry that say how the client reaches the server: those of the other form are
    /// taken out when an entry changes form, so the client never sees both a command and a URL.
    static let transportKeys: Set<String> = [
        "command", "args", "env", "source", "type", "enabled", "url", "serverUrl", "httpUrl", "headers",
        "http_headers",
    ]

    /// The entry in `client`'s shape: the command form as its style says, the URL form as each
    /// client documents remote (streamable HTTP) servers.
    public func json(for client: Client) throws(InstallError) -> JSONCValue {
        guard let url else { return json(for: client.style) }
        let headers = JSONCValue.object(
            self.headers.sorted { $0.key < $1.key }.map { .init($0.key, .string($0.value)) })
        var members: [JSONCValue.Member]
        switch client.id {
        case .claudeCode, .vscode:
            members = [.init("type", .string("http")), .init("url", .string(url))]
        case .cursor, .zed:
            members = [.init("url", .string(url))]
        case .windsurf:
            members = [.init("serverUrl", .string(url))]
        case .gemini:
            members = [.init("httpUrl", .string(url))]
        case .opencode:
            members = [.init("type", .string("remote")), .init("url", .string(url)), .init("enabled", .bool(true))]
        case .codex:
            // As its TOML table reads (`url`, `http_headers`).
            members = [.init("url", .string(url))]
            if !self.headers.isEmpty { members.append(.init("http_headers", headers)) }
            return .object(members)
        case .claudeDesktop:
            throw Self.noURLForm(client)
        }
        if !self.headers.isEmpty { members.append(.init("headers", headers)) }
        return .object(members)
    }

    static func noURLForm(_ client: Client) -> InstallError {
        .unsupported(
            path: client.name,
            message: "\(client.name) takes remote servers in its own settings (connectors), not in its "
                + "configuration file: install it without --http")
    }

    /// The entry's members in the client's shape.
    public func json(for style: Client.EntryStyle) -> JSONCValue {
        let command = JSONCValue.string(command)
        let args = JSONCValue.array(args.map(JSONCValue.string))
        switch style {
        case .standard, .codex:
            return .object([.init("command", command), .init("args", args)])
        case .vscode:
            return .object([.init("type", .string("stdio")), .init("command", command), .init("args", args)])
        case .zed:
            return .object([
                .init("source", .string("custom")), .init("command", command), .init("args", args),
                .init("env", .object([])),
            ])
        case .opencode:
            return .object([
                .init("type", .string("local")),
                .init("command", .array(([self.command] + self.args).map(JSONCValue.string))),
                .init("enabled", .bool(true)),
            ])
        }
    }

    var toml: [(key: String, value: TOMLValue)] {
        guard let url else { return [("command", .string(command)), ("args", .array(args.map(TOMLValue.string)))] }
        // Codex reads literal headers of a streamable HTTP server from `http_headers`.
        var members: [(key: String, value: TOMLValue)] = [("url", .string(url))]
        if !headers.isEmpty {
            let table = headers.sorted { $0.key < $1.key }.map {
                TOMLValue.Member(key: $0.key, value: .string($0.value))
            }
            members.append(("http_headers", .table(table)))
        }
        return members
    }

    /// The text written for this entry, as it would appear in a fresh file.
    public func text(for client: Client) -> String {
        switch client.format {
        case .toml:
            var editor = TOMLEditor([])
            _ = try? editor.set(toml, name: Self.key)
            return String(decoding: editor.bytes, as: UTF8.self)
        case .json, .jsonc:
            let style = JSONCEditor.Style(bytes: [])
            let value = (try? json(for: client)) ?? json(for: client.style)
            return "\"\(Self.key)\": " + style.render(value, indent: "")
        }
    }
}

/// The absolute, symlink-free path of the running `junction` binary.
public enum JunctionExecutable {
    public static func current() -> String {
        #if os(Linux)
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        #endif
        let argument = CommandLine.arguments.first ?? "junction"
        var path = argument
        if !argument.contains("/") {
            let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? ""
            for folder in searchPath.split(separator: ":") {
                let candidate = (String(folder) as NSString).appendingPathComponent(argument)
                if FileManager.default.isExecutableFile(atPath: candidate) {
                    path = candidate
                    break
                }
            }
        }
        if !path.hasPrefix("/") {
            path = (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        }
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }
}
