/// JSON-RPC 2.0 error codes Junction uses.
public enum JSONRPCErrorCode {
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    /// MCP: the request was cancelled (not sent to the peer; used in audit and local errors).
    public static let requestCancelled = -32800
    /// Junction: the call was refused by routing or approval.
    public static let denied = -32001
    /// Junction: the downstream did not answer in time.
    public static let timeout = -32002
    /// Junction: the downstream is unavailable (crashed, failed to start, disabled).
    public static let downstreamUnavailable = -32003
    /// Junction: a message exceeded the size limit.
    public static let messageTooLarge = -32004
}

/// A JSON-RPC message of which only the envelope is decoded; params, result and error stay raw.
public struct JSONRPCMessage: Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case request
        case notification
        case response
        case errorResponse
    }

    public var kind: Kind
    /// Raw id (a string or number literal, exactly as sent).
    public var id: RawJSON?
    public var method: String?
    public var params: RawJSON?
    public var result: RawJSON?
    public var error: RawJSON?

    public init(
        kind: Kind, id: RawJSON? = nil, method: String? = nil, params: RawJSON? = nil, result: RawJSON? = nil,
        error: RawJSON? = nil
    ) {
        self.kind = kind
        self.id = id
        self.method = method
        self.params = params
        self.result = result
        self.error = error
    }

    public static func request(id: RawJSON, method: String, params: RawJSON?) -> JSONRPCMessage {
        JSONRPCMessage(kind: .request, id: id, method: method, params: params)
    }

    public static func notification(method: String, params: RawJSON?) -> JSONRPCMessage {
        JSONRPCMessage(kind: .notification, method: method, params: params)
    }

    public static func response(id: RawJSON, result: RawJSON) -> JSONRPCMessage {
        JSONRPCMessage(kind: .response, id: id, result: result)
    }

    /// An error response; `id` nil is written as `null` (for unparseable requests).
    public static func errorResponse(id: RawJSON?, code: Int, message: String, data: RawJSON? = nil)
        -> JSONRPCMessage
    {
        var members: [(key: String, value: RawJSON)] = [
            ("code", RawJSON(integer: code)), ("message", RawJSON(string: message)),
        ]
        if let data { members.append(("data", data)) }
        return JSONRPCMessage(kind: .errorResponse, id: id ?? .null, error: RawJSON(object: members))
    }

    /// The error's code and message, for error responses.
    public var errorCode: Int? { error?["code"]?.intValue }
    public var errorMessage: String? { error?["message"]?.stringValue }

    /// One line of JSON, without the newline.
    public func encoded() -> [UInt8] {
        var members: [(key: String, value: RawJSON)] = [("jsonrpc", RawJSON(string: "2.0"))]
        if let id { members.append(("id", id)) }
        if let method { members.append(("method", RawJSON(string: method))) }
        if let params { members.append(("params", params)) }
        if let result { members.append(("result", result)) }
        if let error { members.append(("error", error)) }
        return RawJSON(object: members).bytes
    }

    public var description: String { String(decoding: encoded(), as: UTF8.self) }

    /// Why a line is not an acceptable message, as the JSON-RPC error to answer with.
    public struct ParseFailure: Error, Sendable, Hashable {
        public var code: Int
        public var message: String
        /// The request id when it could still be read, so the error can be correlated.
        public var id: RawJSON?

        public var response: JSONRPCMessage {
            .errorResponse(id: id, code: code, message: message)
        }
    }

    /// Parses one line. Malformed JSON → -32700; a batch, a request with a null id, or anything
    /// not a request, notification or response → -32600.
    public static func parse(_ line: [UInt8]) -> Result<JSONRPCMessage, ParseFailure> {
        // An object (every message) is validated and split into its members in one pass: a
        // 40 MB answer is read once, not validated first and then read again.
        let members: [(key: String, value: RawJSON)]
        do {
            let object = try JSONScanner.scanning(line) {
                scanner throws(JSONScanError) -> [(key: String, value: RawJSON)]? in
                scanner.skipWhitespace()
                guard scanner.current == UInt8(ascii: "{") else { return nil }
                let members = try scanner.objectMembers()
                scanner.skipWhitespace()
                guard scanner.isAtEnd else { throw scanner.error("unexpected data after the JSON value") }
                return members
            }
            if let object {
                members = object
            } else {
                let value = try RawJSON(validating: line)
                return .failure(
                    ParseFailure(
                        code: JSONRPCErrorCode.invalidRequest,
                        message: value.isArray
                            ? "Invalid Request: JSON-RPC batches are not supported by MCP"
                            : "Invalid Request: expected a JSON object"))
            }
        } catch {
            return .failure(ParseFailure(code: JSONRPCErrorCode.parseError, message: "Parse error: \(error)"))
        }
        var message = JSONRPCMessage(kind: .notification)
        var version: RawJSON?
        var methodRaw: RawJSON?
        for (key, member) in members {
            switch key {
            case "jsonrpc": version = member
            case "id": message.id = member
            case "method": methodRaw = member
            case "params": message.params = member
            case "result": message.result = member
            case "error": message.error = member
            default: break
            }
        }
        func invalid(_ why: String) -> Result<JSONRPCMessage, ParseFailure> {
            .failure(
                ParseFailure(code: JSONRPCErrorCode.invalidRequest, message: "Invalid Request: \(why)", id: message.id))
        }
        if let id = message.id, !(id.isString || id.intValue != nil || id.isNumberLiteral || id.isNull) {
            message.id = nil
            return invalid("id must be a string or a number")
        }
        guard version?.stringValue == "2.0" else { return invalid("\"jsonrpc\" must be \"2.0\"") }
        if let methodRaw {
            guard let method = methodRaw.stringValue else { return invalid("method must be a string") }
            message.method = method
            if let params = message.params, !(params.isObject || params.isArray) {
                return invalid("params must be an object or an array")
            }
            // A request must be answerable: `"id": null` is what a response to an unreadable
            // message carries, so a request bearing it could never be told apart.
            if message.id?.isNull == true { return invalid("a request's id must not be null") }
            message.kind = message.id == nil ? .notification : .request
            return .success(message)
        }
        guard message.id != nil else { return invalid("a message needs a method, or an id with a result or error") }
        if message.result != nil {
            message.kind = .response
        } else if message.error != nil {
            message.kind = .errorResponse
        } else {
            return invalid("a response needs a result or an error")
        }
        return .success(message)
    }
}

extension RawJSON {
    /// Any number literal (integers beyond Int included).
    var isNumberLiteral: Bool {
        guard let first = bytes.first else { return false }
        return first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
    }
}
