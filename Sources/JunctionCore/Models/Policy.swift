/// What happens to a tool call: forwarded, refused, or parked until a person decides.
public enum Policy: String, Codable, Sendable, CaseIterable, Hashable {
    case allow
    case deny
    case approve
}
