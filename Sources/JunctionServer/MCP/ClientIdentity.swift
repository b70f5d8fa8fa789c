/// Who sent a request to `/mcp` or `/rpc`: the daemon's API key (or a unix-socket peer), or a
/// named client key (`junction key add`), possibly bound to a workspace.
public struct ClientIdentity: Sendable, Hashable {
    /// What limits are counted against: `admin`, or the client key's id.
    public var keyId: String
    /// The client key's name (audited as the client); nil for the daemon's key.
    public var name: String?
    /// The workspace (name) a bound key routes from.
    public var workspace: String?

    public static let admin = ClientIdentity(keyId: "admin", name: nil, workspace: nil)
}
