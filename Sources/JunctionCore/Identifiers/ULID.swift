import Foundation

/// Universally unique, lexicographically sortable identifiers (26 Crockford base32 characters:
/// 48 bits of milliseconds, 80 random bits). Sorting ids sorts by creation time, which makes
/// "id ASC" a stable, meaningful tie-breaker.
public enum ULID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    public static func make(date: Date = Date()) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(date: date, using: &generator)
    }

    public static func make<G: RandomNumberGenerator>(date: Date, using generator: inout G) -> String {
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var out = [UInt8](repeating: 0, count: 26)
        var time = millis
        for index in stride(from: 9, through: 0, by: -1) {
            out[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        // 80 random bits: 16 from `high`, 64 from `low`.
        var random = (UInt128(high & 0xFFFF) << 64) | UInt128(low)
        for index in stride(from: 25, through: 10, by: -1) {
            out[index] = alphabet[Int(random & 31)]
            random >>= 5
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` has a ULID's shape: 26 characters of the Crockford alphabet.
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.count == 26 && bytes.allSatisfy { alphabet.contains($0) }
    }
}
