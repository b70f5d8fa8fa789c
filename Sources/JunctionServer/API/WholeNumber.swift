/// An integer field of a request. Foundation's decoder reports a fraction or an out-of-range
/// number for an `Int` as corrupt data with no coding path, so the API could not say which field
/// is at fault; this type refuses it as a type mismatch at its own path.
struct WholeNumber: Decodable, Sendable, Hashable {
    var value: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self.value = value
            return
        }
        // null stays a missing value, as for any other type.
        if container.decodeNil() {
            throw DecodingError.valueNotFound(
                Int.self, .init(codingPath: decoder.codingPath, debugDescription: "a whole number is required"))
        }
        throw DecodingError.typeMismatch(
            Int.self, .init(codingPath: decoder.codingPath, debugDescription: "expected a whole number"))
    }
}
