/// Decides whether an object key names a secret (`password`, `github_token`, `X-Api-Key`, …).
///
/// Keys and keywords are compared in two ways, chosen by the keyword's length:
/// - keywords of 5 or more letters and digits match anywhere in the key once both are lowercased
///   and stripped of everything but letters and digits: `token` matches `github_token` and
///   `accessToken`, `api_key` matches `X-Api-Key` and `xApiKey`;
/// - shorter keywords match only whole words of the key (split at separators, camelCase humps and
///   letter/digit boundaries): `auth` matches `auth`, `x-auth` and `authToken`, not `author`.
struct SecretKeyMatcher: Sendable, Hashable {
    /// Key words that name secrets whatever the downstream.
    static let defaultKeywords = [
        "password", "passwd", "secret", "token", "api_key", "apikey", "api-key", "authorization", "auth", "cookie",
        "credential", "credentials", "private_key", "access_key", "client_secret", "session",
    ]

    /// Keywords shorter than this match whole words only.
    static let substringMinimum = 5

    private let substrings: [String]
    /// The same keywords as bytes, for the ASCII fast path (keys are almost always ASCII).
    private let substringBytes: [[UInt8]]
    private let wordSequences: [[String]]

    init(extraKeywords: [String] = []) {
        var substrings: [String] = []
        var wordSequences: [[String]] = []
        for keyword in Self.defaultKeywords + extraKeywords {
            let normalized = Self.normalize(keyword)
            if normalized.isEmpty { continue }
            if normalized.unicodeScalars.count >= Self.substringMinimum {
                if !substrings.contains(normalized) { substrings.append(normalized) }
            } else {
                let words = Self.words(of: keyword)
                if !words.isEmpty && !wordSequences.contains(words) { wordSequences.append(words) }
            }
        }
        self.substrings = substrings
        self.substringBytes = substrings.map { Array($0.utf8) }
        self.wordSequences = wordSequences
    }

    func matches(_ key: String) -> Bool {
        if let ascii = Self.asciiNormalized(key) {
            // Fast path: byte search, no Foundation string search, no allocation per keyword.
            if ascii.isEmpty { return false }
            if substringBytes.contains(where: { Self.bytes(ascii, contain: $0) }) { return true }
        } else {
            let normalized = Self.normalize(key)
            if normalized.isEmpty { return false }
            if substrings.contains(where: { normalized.contains($0) }) { return true }
        }
        if wordSequences.isEmpty { return false }
        let words = Self.words(of: key)
        return wordSequences.contains { sequence in Self.contains(words, sequence) }
    }

    /// Lowercased letters and digits only.
    /// Lowercased letters and digits of an ASCII key; nil when the key is not ASCII.
    static func asciiNormalized(_ key: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(key.utf8.count)
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): out.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): out.append(byte + 32)
            case 0x80...: return nil
            default: break
            }
        }
        return out
    }

    static func bytes(_ haystack: [UInt8], contain needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return needle.isEmpty }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return true
        }
        return false
    }

    static func normalize(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.lowercased().unicodeScalars where isAlphanumeric(scalar) {
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// Lowercased words: runs of letters and digits, split again at camelCase humps (`apiKey`,
    /// `HTTPHeader` → `http`, `header`) and between letters and digits (`oauth2`).
    static func words(of text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func finish() {
            if !current.isEmpty { words.append(String(current).lowercased()) }
            current = String.UnicodeScalarView()
        }
        for (index, scalar) in scalars.enumerated() {
            guard isAlphanumeric(scalar) else {
                finish()
                continue
            }
            if let previous = current.last {
                let next = index + 1 < scalars.count ? scalars[index + 1] : nil
                let hump = isLower(previous) && isUpper(scalar)
                let acronymEnd = isUpper(previous) && isUpper(scalar) && next.map(isLower) == true
                let digitBoundary = isDigit(previous) != isDigit(scalar)
                if hump || acronymEnd || digitBoundary { finish() }
            }
            current.append(scalar)
        }
        finish()
        return words
    }

    private static func contains(_ words: [String], _ sequence: [String]) -> Bool {
        guard sequence.count <= words.count else { return false }
        for start in 0...(words.count - sequence.count)
        where words[start..<(start + sequence.count)].elementsEqual(sequence) {
            return true
        }
        return false
    }

    private static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isAlphabetic || scalar.properties.numericType != nil
    }

    private static func isDigit(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.numericType != nil
    }

    private static func isLower(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isLowercase }

    private static func isUpper(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isUppercase }
}
