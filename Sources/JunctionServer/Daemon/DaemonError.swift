/// Why the daemon could not start or a client could not reach it, worded for the user.
public enum DaemonError: Error, Sendable, Equatable, CustomStringConvertible {
    case alreadyRunning(String)
    case cannotListen(String)
    case remoteNotAllowed(String)
    case unreachable(String)

    public var description: String {
        switch self {
        case .alreadyRunning(let message), .cannotListen(let message), .remoteNotAllowed(let message),
            .unreachable(let message):
            message
        }
    }
}
