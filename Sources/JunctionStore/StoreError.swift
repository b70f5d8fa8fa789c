import GRDB
import JunctionCore

/// Everything the store can refuse, worded for the person who has to act on it.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `kind` is the user-facing word ("workspace", "server", "route", "scope", "setting").
    case notFound(kind: String, key: String)
    case duplicate(kind: String, field: String, value: String)
    case invalid(ValidationError)
    /// Deleting `name` would break the listed dependents.
    case inUse(kind: String, name: String, dependents: [String])
    case notADatabase(path: String)
    case notJunctionDatabase(path: String)
    case newerSchema(path: String, unknownMigrations: [String])
    case secretKey(String)
    case secretMismatch(String)
    case database(String)

    public var description: String {
        switch self {
        case .notFound(let kind, let key):
            "\(kind) '\(key)' not found. List them: junction \(Self.command(for: kind)) list"
        case .duplicate(let kind, let field, let value):
            field == "name"
                ? "a \(kind) named '\(value)' already exists"
                : "a \(kind) with \(field) '\(value)' already exists"
        case .invalid(let error):
            error.message
        case .inUse(let kind, let name, let dependents):
            "\(kind) '\(name)' is used by \(dependents.joined(separator: ", ")); remove those first or use --force"
        case .notADatabase(let path):
            "'\(path)' is not a SQLite database; Junction leaves it untouched. "
                + "Move it away, or point JUNCTION_HOME (or --home) elsewhere"
        case .notJunctionDatabase(let path):
            "'\(path)' is a SQLite database of another application; Junction leaves it untouched. "
                + "Point JUNCTION_HOME (or --home) elsewhere"
        case .newerSchema(let path, let unknown):
            "'\(path)' was written by a newer Junction (migrations \(unknown.joined(separator: ", ")) are unknown "
                + "to this version \(JunctionVersion.current)); upgrade Junction to use it"
        case .secretKey(let message), .secretMismatch(let message), .database(let message):
            message
        }
    }

    /// The CLI noun for a kind, so messages can point at the command that helps.
    static func command(for kind: String) -> String {
        switch kind {
        case "server": "server"
        case "route": "route"
        case "scope": "scope"
        case "setting": "settings"
        default: kind
        }
    }

    /// Maps any error from GRDB or SQLite to a StoreError; StoreErrors pass through unchanged.
    static func wrap(_ error: any Error) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? ValidationError { return .invalid(error) }
        if let error = error as? DatabaseError {
            switch error.resultCode {
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return .database("the database is busy (another Junction process holds a lock); try again")
            case .SQLITE_NOTADB:
                return .database("the database file is not a SQLite database")
            case .SQLITE_READONLY:
                return .database("the database is read-only: check the permissions of JUNCTION_HOME")
            default:
                return .database("database error: \(error.message ?? "\(error.resultCode)")")
            }
        }
        return .database("\(error)")
    }
}
