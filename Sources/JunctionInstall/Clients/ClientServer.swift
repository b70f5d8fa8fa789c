import JunctionCore

/// A server entry found in a client's configuration, read into what a Junction downstream needs.
public struct ClientServer: Sendable, Hashable {
    public enum Transport: String, Sendable, Codable {
        case stdio
        case http
    }

    /// Its key in the client's configuration.
    public var key: String
    public var transport: Transport
    public var command: String?
    public var args: [String] = []
    public var env: [String: String] = [:]
    public var headers: [String: String] = [:]
    public var url: String?
    /// The HTTP flavour the client's entry states (`"type": "sse"`, `"type": "http"`, Gemini's
    /// `httpUrl`); `auto` when it states none.
    public var httpTransport: Downstream.HTTPTransport = .auto
    public var cwd: String?
    /// Why it cannot be imported, if it cannot.
    public var problem: String?
    /// The entry's own keys as written (nil when it is not an object).
    var memberKeys: Set<String>?

    /// Reads one entry in the client's shape.
    init(key: String, value: JSONCValue, style: Client.EntryStyle) {
        self.key = key
        transport = .stdio
        memberKeys = value.members.map { Set($0.map(\.key)) }
        guard value.members != nil else {
            problem = "the entry is not an object"
            return
        }
        var command = value["command"]
        var args = value["args"]
        var env = value["env"]
        // Zed's older shape: "command": {"path", "args", "env"}.
        if style == .zed, let nested = command, nested.members != nil {
            command = nested["path"]
            args = nested["args"] ?? args
            env = nested["env"] ?? env
        }
        if style == .opencode {
            env = value["environment"] ?? env
            if let parts = command?.stringArray {
                command = parts.first.map(JSONCValue.string)
                args = .array(parts.dropFirst().map(JSONCValue.string))
            }
        }
        let url = value["url"] ?? value["serverUrl"] ?? value["httpUrl"]
        if let url {
            guard let text = url.stringValue else {
                problem = "its url is not a string"
                return
            }
            transport = .http
            self.url = text
            httpTransport = Self.flavour(type: (value["type"] ?? value["transport"])?.stringValue)
            if value["httpUrl"] != nil { httpTransport = .streamableHTTP }
        } else if let command {
            guard let text = command.stringValue, !text.isEmpty else {
                problem = "its command is not a string"
                return
            }
            self.command = text
        } else {
            problem = "it has neither a command nor a url"
            return
        }
        if let args {
            guard let list = args.stringArray else {
                problem = "its args are not a list of strings"
                return
            }
            self.args = list
        }
        for (field, source) in [("env", env), ("headers", value["headers"] ?? value["http_headers"])] {
            guard let source else { continue }
            guard let members = source.members else {
                problem = "its \(field) is not an object"
                return
            }
            var pairs: [String: String] = [:]
            for member in members {
                switch member.value {
                case .string(let text): pairs[member.key] = text
                case .number(let text): pairs[member.key] = text
                case .bool(let flag): pairs[member.key] = flag ? "true" : "false"
                default:
                    problem = "its \(field) value \(member.key) is not a string"
                    return
                }
            }
            if field == "env" { self.env = pairs } else { self.headers = pairs }
        }
        cwd = value["cwd"]?.stringValue
    }
}

extension ClientServer {
    /// The flavour a client's `type` (or `transport`) names: `sse`; `http`, `streamable-http` and
    /// their spellings; anything else leaves it to Junction.
    static func flavour(type: String?) -> Downstream.HTTPTransport {
        switch type?.lowercased().replacingOccurrences(of: "_", with: "-") {
        case "sse": .sse
        case "http", "streamable-http", "streamablehttp", "streamable": .streamableHTTP
        default: .auto
        }
    }
}

extension TOMLValue {
    /// The same value as JSON, so TOML and JSON entries are read by one reader.
    var json: JSONCValue {
        switch self {
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(\.json))
        case .table(let members): .object(members.map { JSONCValue.Member($0.key, $0.value.json) })
        case .other(let text): text == "true" ? .bool(true) : text == "false" ? .bool(false) : .number(text)
        }
    }
}
