/// Everything install, uninstall and import can refuse, worded for the person who has to act.
public enum InstallError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownClient(String)
    case noProjectScope(client: String)
    /// The file does not parse; it was left untouched.
    case syntax(path: String, line: Int, column: Int, message: String)
    /// The file parses but has a shape Junction will not edit (a key that is not an object…).
    case unsupported(path: String, message: String)
    case io(path: String, message: String)

    public var description: String {
        switch self {
        case .unknownClient(let id):
            "unknown client '\(id)'; known clients: \(ClientID.allCases.map(\.rawValue).joined(separator: ", "))"
        case .noProjectScope(let client):
            "\(client) has no project configuration file; leave out --project to use its user configuration"
        case .syntax(let path, let line, let column, let message):
            "\(path) line \(line), column \(column): \(message); the file was left untouched. Fix it and try again"
        case .unsupported(let path, let message):
            "\(path): \(message); the file was left untouched"
        case .io(let path, let message):
            "\(path): \(message)"
        }
    }
}

/// A syntax error at a byte offset, before it is tied to a file.
struct SyntaxError: Error, Sendable {
    var offset: Int
    var message: String

    init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// 1-based line and column (in Unicode scalars) of `offset` in `bytes`.
    static func position(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var index = 0
        let end = min(offset, bytes.count)
        while index < end {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 && byte != UInt8(ascii: "\r") {
                column += 1
            }
            index += 1
        }
        return (line, column)
    }

    func located(in bytes: [UInt8], path: String) -> InstallError {
        let (line, column) = Self.position(of: offset, in: bytes)
        return .syntax(path: path, line: line, column: column, message: message)
    }
}
