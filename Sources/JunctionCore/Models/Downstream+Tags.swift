import Foundation

/// Tags as a list. A server's tags are stored as a map (`{"database": "", "env": "production"}`);
/// the list form, for APIs that speak of tags as labels (Open MCP Gateway's `tags`, `?tag=`), has
/// one entry per key, sorted: the key alone when its value is empty (`database`), else
/// `key:value` (`env:production`).
extension Downstream {
    /// The tags in list form.
    public var tagList: [String] {
        tags.sorted { $0.key < $1.key }.map { $0.value.isEmpty ? $0.key : "\($0.key):\($0.value)" }
    }

    /// Whether `tag` names one of the server's tags: a key (any value), or an entry of the list
    /// form (`key:value`).
    public func hasTag(_ tag: String) -> Bool {
        if tags[tag] != nil { return true }
        guard let colon = tag.firstIndex(of: ":") else { return false }
        return tags[String(tag[..<colon])] == String(tag[tag.index(after: colon)...])
    }

    /// The map a list of tags stands for: `key` becomes `key: ""`, `key:value` becomes
    /// `key: value` (split at the first colon).
    public static func tags(fromList list: [String]) -> [String: String] {
        var tags: [String: String] = [:]
        for entry in list {
            if let colon = entry.firstIndex(of: ":") {
                tags[String(entry[..<colon])] = String(entry[entry.index(after: colon)...])
            } else {
                tags[entry] = ""
            }
        }
        return tags
    }
}
