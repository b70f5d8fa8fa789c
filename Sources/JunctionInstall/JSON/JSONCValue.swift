/// A JSON value as read from (or written into) a client's configuration file. Objects keep their
/// member order; numbers keep their text, so nothing is rounded on the way through.
public indirect enum JSONCValue: Sendable, Hashable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null
    case array([JSONCValue])
    case object([Member])

    public struct Member: Sendable, Hashable {
        public var key: String
        public var value: JSONCValue

        public init(_ key: String, _ value: JSONCValue) {
            self.key = key
            self.value = value
        }
    }

    /// The value of `key` in an object (the last one, as JSON parsers do), else nil.
    public subscript(key: String) -> JSONCValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.key == key }?.value
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// An array of strings, else nil.
    public var stringArray: [String]? {
        guard case .array(let items) = self else { return nil }
        var result: [String] = []
        for item in items {
            guard case .string(let value) = item else { return nil }
            result.append(value)
        }
        return result
    }

    /// Object members as pairs in file order, else nil.
    public var members: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// Equal as JSON: object member order does not matter (the last of duplicate keys counts),
    /// numbers compare by their text.
    public func sameJSON(as other: JSONCValue) -> Bool {
        switch (self, other) {
        case (.object(let lhs), .object(let rhs)):
            let left = Dictionary(lhs.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
            let right = Dictionary(rhs.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
            guard left.count == right.count else { return false }
            for (key, value) in left {
                guard let match = right[key], value.sameJSON(as: match) else { return false }
            }
            return true
        case (.array(let lhs), .array(let rhs)):
            return lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.sameJSON(as: $1) }
        default:
            return self == other
        }
    }
}
