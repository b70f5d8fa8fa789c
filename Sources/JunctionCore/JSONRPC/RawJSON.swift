/// A JSON value kept as the exact bytes it arrived as.
///
/// MCP payloads pass through Junction without being decoded into a model that could drop or
/// respell anything (`_meta`, `structuredContent`, future fields, big integers, number spelling).
/// Where Junction must look inside (a tool's name, an annotation) it reads members as raw slices,
/// and where it must change something it rewrites only that member and copies the rest verbatim.
public struct RawJSON: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// Wraps bytes already known to be one valid JSON value (from the scanner or our own encoder).
    public init(trusted bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Validates `bytes` as exactly one JSON value (surrounding whitespace allowed).
    public init(validating bytes: some Collection<UInt8>) throws(JSONScanError) {
        let array = Array(bytes)
        let range = try JSONScanner.scanning(array) { scanner throws(JSONScanError) in
            scanner.skipWhitespace()
            let start = scanner.index
            try scanner.skipValue()
            let end = scanner.index
            scanner.skipWhitespace()
            guard scanner.isAtEnd else { throw scanner.error("unexpected data after the JSON value") }
            return start..<end
        }
        self.bytes = range.count == array.count ? array : Array(array[range])
    }

    public static let null = RawJSON(trusted: Array("null".utf8))
    public static let emptyObject = RawJSON(trusted: Array("{}".utf8))
    public static let emptyArray = RawJSON(trusted: Array("[]".utf8))
    public static let `true` = RawJSON(trusted: Array("true".utf8))
    public static let `false` = RawJSON(trusted: Array("false".utf8))

    /// A JSON string literal for `value`.
    public init(string value: String) {
        self.bytes = JSONWriter.stringLiteral(value)
    }

    /// A JSON integer literal.
    public init(integer value: Int) {
        self.bytes = Array(String(value).utf8)
    }

    /// An object from members in the given order.
    public init(object members: [(key: String, value: RawJSON)]) {
        var out: [UInt8] = [UInt8(ascii: "{")]
        out.reserveCapacity(members.reduce(2) { $0 + $1.key.utf8.count + $1.value.bytes.count + 4 })
        for (index, member) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += JSONWriter.stringLiteral(member.key)
            out.append(UInt8(ascii: ":"))
            out += member.value.bytes
        }
        out.append(UInt8(ascii: "}"))
        self.bytes = out
    }

    /// An array of the given elements.
    public init(array elements: [RawJSON]) {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(elements.reduce(2) { $0 + $1.bytes.count + 1 })
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += element.bytes
        }
        out.append(UInt8(ascii: "]"))
        self.bytes = out
    }

    public var description: String { String(decoding: bytes, as: UTF8.self) }

    private var firstByte: UInt8? { bytes.first }

    public var isObject: Bool { firstByte == UInt8(ascii: "{") }
    public var isArray: Bool { firstByte == UInt8(ascii: "[") }
    public var isString: Bool { firstByte == UInt8(ascii: "\"") }
    public var isNull: Bool { bytes == RawJSON.null.bytes }

    /// The members of an object, in order, values raw; nil if this is not an object.
    public var members: [(key: String, value: RawJSON)]? {
        guard isObject else { return nil }
        return try? JSONScanner.scanning(bytes) { scanner throws(JSONScanError) in try scanner.objectMembers() }
    }

    /// The elements of an array, raw; nil if this is not an array.
    public var elements: [RawJSON]? {
        guard isArray else { return nil }
        return try? JSONScanner.scanning(bytes) { scanner throws(JSONScanError) in try scanner.arrayElements() }
    }

    /// The first member named `key` of an object.
    public subscript(key: String) -> RawJSON? {
        guard isObject else { return nil }
        return try? JSONScanner.scanning(bytes) { scanner throws(JSONScanError) in try scanner.member(named: key) }
    }

    /// The decoded string, if this is a string.
    public var stringValue: String? {
        guard isString else { return nil }
        return try? JSONScanner.scanning(bytes) { scanner throws(JSONScanError) in try scanner.decodeString() }
    }

    public var boolValue: Bool? {
        if bytes == RawJSON.true.bytes { return true }
        if bytes == RawJSON.false.bytes { return false }
        return nil
    }

    /// The integer value of a number literal without fraction or exponent that fits in Int.
    public var intValue: Int? {
        guard let first = firstByte,
            first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self))
    }

    /// This object with `key` set to `value` (replacing the first member of that name in place, or
    /// appended), every other member copied byte for byte. nil if this is not an object.
    public func setting(_ key: String, to value: RawJSON) -> RawJSON? {
        guard var members else { return nil }
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].value = value
        } else {
            members.append((key, value))
        }
        return RawJSON(object: members)
    }

    /// This object without members named `key`. nil if this is not an object.
    public func removing(_ key: String) -> RawJSON? {
        guard let members else { return nil }
        return RawJSON(object: members.filter { $0.key != key })
    }
}
