import Foundation

/// The server entry Junction puts into a client: its own binary with `stdio` (and `--workspace`).
public struct JunctionEntry: Sendable, Hashable {
    /// The key of the entry in the client's servers object.
    public static let key = "junction"

    public var command: String
    public var args: [String]

    public init(command: String, workspace: String? = nil) {
        self.command = command
        self.args = ["stdio"] + (workspace.map { ["--workspace", $0] } ?? [])
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
        [("command", .string(command)), ("args", .array(args.map(TOMLValue.string)))]
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
            return "\"\(Self.key)\": " + style.render(json(for: client.style), indent: "")
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
