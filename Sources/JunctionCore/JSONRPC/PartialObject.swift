/// Reading a member out of the ends of a JSON object whose middle is gone: what is left of a
/// message dropped for its size (``LineFramer`` keeps its first and last bytes), so the request it
/// answered can still be failed at once.
public enum PartialObject {
    /// The integer value of the top-level member `key` of an object cut short after `prefix`:
    /// members are read in order, and nil comes back when the bytes end (or stop being JSON)
    /// before a member named `key` is complete.
    public static func integerMember(_ key: String, inPrefix prefix: [UInt8]) -> Int? {
        let value = try? JSONScanner.scanning(prefix) { scanner throws(JSONScanError) in
            scanner.leadingMember(named: key)
        }
        return value?.intValue
    }

    /// The integer value of `key` when it is the last member of the object whose last bytes are
    /// `suffix` (`…,"id":7}`); nil otherwise.
    ///
    /// Read backwards: `}`, digits, `:`, `"key"`, then `,` or `{`. A member of a nested object
    /// cannot match, as its object's `}` would be followed by the outer one's.
    public static func integerMember(_ key: String, inSuffix suffix: [UInt8]) -> Int? {
        var end = suffix.endIndex
        func skipWhitespace() {
            while end > suffix.startIndex, [0x20, 0x09, 0x0A, 0x0D].contains(suffix[end - 1]) { end -= 1 }
        }
        func expect(_ bytes: [UInt8]) -> Bool {
            guard end - suffix.startIndex >= bytes.count, Array(suffix[(end - bytes.count)..<end]) == bytes else {
                return false
            }
            end -= bytes.count
            return true
        }
        skipWhitespace()
        guard expect([UInt8(ascii: "}")]) else { return nil }
        skipWhitespace()
        let digitsEnd = end
        while end > suffix.startIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(suffix[end - 1]) { end -= 1 }
        if end > suffix.startIndex, suffix[end - 1] == UInt8(ascii: "-") { end -= 1 }
        let literal = suffix[end..<digitsEnd]
        guard !literal.isEmpty, let value = Int(String(decoding: literal, as: UTF8.self)) else { return nil }
        skipWhitespace()
        guard expect([UInt8(ascii: ":")]) else { return nil }
        skipWhitespace()
        guard expect(JSONWriter.stringLiteral(key)) else { return nil }
        skipWhitespace()
        guard end > suffix.startIndex, [UInt8(ascii: ","), UInt8(ascii: "{")].contains(suffix[end - 1]) else {
            return nil
        }
        return value
    }
}
