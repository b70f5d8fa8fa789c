/// One lexical element of a glob, before flavor-specific compilation.
struct GlobRawToken: Sendable {
    enum Kind: Sendable {
        case literal(Character)
        case any
        case star
        case set(GlobCharSet<Character>)
    }

    var kind: Kind
    /// Whether this is the literal `/` that separates path segments.
    var isSeparator: Bool {
        if case .literal("/") = kind { return true }
        return false
    }
}

/// A character class: a union of closed ranges (single characters are `c...c`), maybe negated.
struct GlobCharSet<Element: Comparable & Sendable>: Sendable {
    var negated: Bool
    var ranges: [ClosedRange<Element>]

    @inline(__always)
    func contains(_ element: Element) -> Bool {
        var found = false
        for range in ranges where range.contains(element) {
            found = true
            break
        }
        return found != negated
    }
}

/// Turns pattern text into raw tokens, reporting the first syntax error with its position.
enum GlobParser {
    static func parse(_ pattern: String) throws(GlobError) -> [GlobRawToken] {
        let chars = Array(pattern)
        guard !chars.isEmpty else {
            throw GlobError(pattern: pattern, position: 0, reason: "empty pattern")
        }
        var tokens: [GlobRawToken] = []
        tokens.reserveCapacity(chars.count)
        var index = 0
        while index < chars.count {
            let char = chars[index]
            switch char {
            case "*":
                tokens.append(GlobRawToken(kind: .star))
                index += 1
            case "?":
                tokens.append(GlobRawToken(kind: .any))
                index += 1
            case "\\":
                guard index + 1 < chars.count else {
                    throw GlobError(pattern: pattern, position: index, reason: "trailing escape '\\'")
                }
                tokens.append(GlobRawToken(kind: .literal(chars[index + 1])))
                index += 2
            case "[":
                let (set, next) = try parseClass(chars, from: index, pattern: pattern)
                tokens.append(GlobRawToken(kind: .set(set)))
                index = next
            default:
                tokens.append(GlobRawToken(kind: .literal(char)))
                index += 1
            }
        }
        return tokens
    }

    /// Parses `[...]` starting at `start` (the `[`); returns the set and the index after `]`.
    private static func parseClass(
        _ chars: [Character], from start: Int, pattern: String
    ) throws(GlobError) -> (GlobCharSet<Character>, Int) {
        var index = start + 1
        var negated = false
        if index < chars.count, chars[index] == "!" || chars[index] == "^" {
            negated = true
            index += 1
        }
        var ranges: [ClosedRange<Character>] = []
        while true {
            guard index < chars.count else {
                throw GlobError(pattern: pattern, position: start, reason: "unterminated character class")
            }
            if chars[index] == "]" {
                guard !ranges.isEmpty else {
                    throw GlobError(pattern: pattern, position: start, reason: "empty character class")
                }
                return (GlobCharSet(negated: negated, ranges: ranges), index + 1)
            }
            let lowPosition = index
            let low = try member(chars, at: &index, pattern: pattern)
            // `-` is a range only between two members; first or last it is literal.
            if index + 1 < chars.count, chars[index] == "-", chars[index + 1] != "]" {
                index += 1
                let high = try member(chars, at: &index, pattern: pattern)
                guard low <= high else {
                    throw GlobError(
                        pattern: pattern, position: lowPosition,
                        reason: "reversed range '\(low)-\(high)' in character class")
                }
                ranges.append(low...high)
            } else {
                ranges.append(low...low)
            }
        }
    }

    /// Reads one (possibly escaped) class member and advances past it.
    private static func member(
        _ chars: [Character], at index: inout Int, pattern: String
    ) throws(GlobError) -> Character {
        if chars[index] == "\\" {
            guard index + 1 < chars.count else {
                throw GlobError(pattern: pattern, position: index, reason: "trailing escape '\\'")
            }
            index += 2
            return chars[index - 1]
        }
        index += 1
        return chars[index - 1]
    }
}
