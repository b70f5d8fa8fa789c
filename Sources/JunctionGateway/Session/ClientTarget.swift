/// Where a session routes from: a workspace the client was pinned to, or a folder.
public enum ClientTarget: Sendable, Hashable {
    case workspace(String)
    case folder(String)
}
