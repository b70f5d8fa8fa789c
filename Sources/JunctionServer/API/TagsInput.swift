import JunctionCore

/// Tags as a request may give them: a map (`{"env": "production"}`) or the list form
/// (`["database", "env:production"]`: a key alone has an empty value; see `Downstream.tagList`).
struct TagsInput: Decodable, Sendable {
    var tags: [String: String]

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let map = try? container.decode([String: String].self) {
            tags = map
            return
        }
        guard let list = try? container.decode([String].self) else {
            throw DecodingError.typeMismatch(
                [String: String].self,
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "tags must be an object of strings or a list of strings"))
        }
        if list.contains(where: { $0.isEmpty || $0.hasPrefix(":") }) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "a tag needs a key (key or key:value)"))
        }
        tags = Downstream.tags(fromList: list)
    }
}
