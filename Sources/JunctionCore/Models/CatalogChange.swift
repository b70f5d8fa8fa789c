/// What a catalog refresh changed for one downstream and kind, by entry name (each list sorted).
/// The gateway sends `notifications/…/list_changed` only when it is not empty.
public struct CatalogChange: Sendable, Hashable {
    /// Names that were not in the catalog before.
    public var added: [String]
    /// Names the downstream no longer offers.
    public var removed: [String]
    /// Names whose raw JSON (so its SHA-256) differs from before.
    public var changed: [String]

    public init(added: [String] = [], removed: [String] = [], changed: [String] = []) {
        self.added = added
        self.removed = removed
        self.changed = changed
    }

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }
}
