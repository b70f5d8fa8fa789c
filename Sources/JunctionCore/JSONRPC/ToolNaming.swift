/// Client-visible names: `{namespace}__{name}`, always matching `^[a-zA-Z0-9_-]{1,64}$`.
///
/// A name that would break that (too long, or characters outside the set) is shortened
/// deterministically: illegal characters become `_`, and the result is cut and ends in `_` plus
/// ten hex digits of a stable hash of the original name, so different names stay different and
/// the same name maps the same way on every run. Sessions keep the mapping back.
public enum ToolNaming {
    public static let separator = "__"
    public static let maxLength = 64

    public static func visibleName(namespace: String, name: String) -> String {
        let plain = namespace + separator + name
        if isValid(plain) { return plain }
        let sanitized = String(
            String.UnicodeScalarView(
                plain.unicodeScalars.map { isAllowed($0) ? $0 : "_" }))
        let suffix = "_" + hashHex(plain)
        let keep = maxLength - suffix.count
        return String(sanitized.unicodeScalars.prefix(keep)) + suffix
    }

    public static func isValid(_ name: String) -> Bool {
        let scalars = name.unicodeScalars
        return !scalars.isEmpty && scalars.count <= maxLength && scalars.allSatisfy(isAllowed)
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", "-": true
        default: false
        }
    }

    /// FNV-1a 64 of the UTF-8 bytes, as ten hex digits: stable across runs and platforms.
    static func hashHex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        let padded = String(repeating: "0", count: max(0, 16 - hex.count)) + hex
        return String(padded.prefix(10))
    }
}
