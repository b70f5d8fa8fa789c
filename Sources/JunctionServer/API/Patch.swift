/// One field of a partial update (`PUT`) of a field that may be empty: absent keeps the stored
/// value, `null` clears it, a value replaces it.
enum Patch<Value: Sendable>: Sendable {
    case keep
    case clear
    case set(Value)

    /// The field's new value given its current one.
    func applied(to current: Value?) -> Value? {
        switch self {
        case .keep: current
        case .clear: nil
        case .set(let value): value
        }
    }

    /// The same change with the value transformed.
    func map<T: Sendable>(_ transform: (Value) -> T) -> Patch<T> {
        switch self {
        case .keep: .keep
        case .clear: .clear
        case .set(let value): .set(transform(value))
        }
    }
}

extension KeyedDecodingContainer {
    /// A field that may be absent, `null` or a value (see ``Patch``).
    func decodePatch<T: Decodable & Sendable>(_ type: T.Type, forKey key: Key) throws -> Patch<T> {
        guard contains(key) else { return .keep }
        if try decodeNil(forKey: key) { return .clear }
        return .set(try decode(T.self, forKey: key))
    }

    /// A field that may be absent but not `null` (it cannot be empty): `null` is refused as a
    /// missing value of the field's type, naming the field.
    func decodeUnlessNull<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        return try decode(T.self, forKey: key)
    }
}
