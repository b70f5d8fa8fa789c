import JunctionCore

/// The MCP shape of the requests Junction serves, checked before anything is routed or forwarded.
///
/// JSON-RPC lets `params` be an array and any member any type; MCP does not. A malformed call
/// that reached a shared server could crash it (and fail the calls of every session it serves),
/// so it is answered here with -32602 and goes no further.
enum RequestShape {
    /// The methods whose params are checked: those Junction answers or routes.
    static let knownMethods: Set<String> = [
        "initialize", "server/discover", "subscriptions/listen", "ping", "tools/list", "tools/call",
        "prompts/list", "prompts/get", "resources/list", "resources/templates/list", "resources/read",
        "resources/subscribe", "resources/unsubscribe", "completion/complete", "logging/setLevel",
    ]

    /// Throws the -32602 error for a request of `method` whose params MCP would not accept.
    static func check(method: String, params: RawJSON?) throws(SessionError) {
        guard knownMethods.contains(method) else { return }
        guard let params else {
            if let required = requiredMember[method] {
                throw invalid("\(method) needs params with \(required)")
            }
            return
        }
        guard params.isObject, let members = params.members else {
            throw invalid("\(method) params must be an object, got \(kind(of: params))")
        }
        let methodRules = rules[method] ?? []
        var seen: Set<String> = []
        for (key, value) in members {
            if key == "_meta", !(value.isObject || value.isNull) {
                throw invalid("\(method) params._meta must be an object, got \(kind(of: value))")
            }
            guard let rule = methodRules.first(where: { $0.member == key }) else { continue }
            // Junction reads the first of duplicate members and many servers the last: a call
            // routed by one name must not run as another.
            guard seen.insert(key).inserted else { throw invalid("\(method) params.\(key) appears more than once") }
            guard rule.accepts(value) else {
                throw invalid("\(method) params.\(key) must be \(rule.expected), got \(kind(of: value))")
            }
        }
        for rule in methodRules where rule.required && !seen.contains(rule.member) {
            throw invalid("\(method) needs params.\(rule.member)")
        }
    }

    private struct Rule {
        var member: String
        var required: Bool
        var expected: String
        var accepts: @Sendable (RawJSON) -> Bool
    }

    private static func string(_ member: String, required: Bool) -> Rule {
        Rule(member: member, required: required, expected: "a string") { $0.isString }
    }

    /// An object, or absent (`null` counts as absent: SDKs send it for "no arguments").
    private static func optionalObject(_ member: String) -> Rule {
        Rule(member: member, required: false, expected: "an object") { $0.isObject || $0.isNull }
    }

    private static let rules: [String: [Rule]] = [
        "tools/call": [string("name", required: true), optionalObject("arguments")],
        "prompts/get": [string("name", required: true), optionalObject("arguments")],
        "resources/read": [string("uri", required: true)],
        "resources/subscribe": [string("uri", required: true)],
        "resources/unsubscribe": [string("uri", required: true)],
        "completion/complete": [
            Rule(member: "ref", required: true, expected: "an object") { $0.isObject }, optionalObject("argument"),
        ],
        "logging/setLevel": [string("level", required: true)],
        "tools/list": [string("cursor", required: false)],
        "prompts/list": [string("cursor", required: false)],
        "resources/list": [string("cursor", required: false)],
        "resources/templates/list": [string("cursor", required: false)],
        "initialize": [optionalObject("capabilities"), optionalObject("clientInfo")],
    ]

    /// For methods that cannot be served without params: what they must hold.
    private static let requiredMember: [String: String] = [
        "tools/call": "name", "prompts/get": "name", "resources/read": "uri", "resources/subscribe": "uri",
        "resources/unsubscribe": "uri", "completion/complete": "ref", "logging/setLevel": "level",
    ]

    private static func invalid(_ message: String) -> SessionError {
        SessionError(code: JSONRPCErrorCode.invalidParams, message: "Invalid params: \(message)")
    }

    /// The JSON type of a value, for error messages.
    static func kind(of value: RawJSON) -> String {
        switch value.bytes.first {
        case UInt8(ascii: "{"): "an object"
        case UInt8(ascii: "["): "an array"
        case UInt8(ascii: "\""): "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): "a boolean"
        case UInt8(ascii: "n"): "null"
        default: "a number"
        }
    }
}
