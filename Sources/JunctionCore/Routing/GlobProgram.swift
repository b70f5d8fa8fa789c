/// A compiled matching step. Sets live in a side table so tokens stay trivially copyable.
enum GlobToken<Element: Comparable & Sendable>: Sendable {
    case literal(Element)
    case any
    case star
    case set(Int)
}

/// A token list for one name pattern or one path segment.
struct GlobTokenList<Element: Comparable & Sendable>: Sendable {
    var tokens: [GlobToken<Element>]
    var sets: [GlobCharSet<Element>]

    /// Matches `text[start..<end]` against the whole token list.
    ///
    /// Classic two-pointer wildcard matching: on a mismatch only the most recent `*` is retried
    /// one element further. That is complete because every other token consumes exactly one
    /// element, and it bounds the work by O(tokens × text) with no recursion.
    @inline(__always)
    func matches<Text: RandomAccessCollection>(_ text: Text, from start: Int, to end: Int) -> Bool
    where Text.Element == Element, Text.Index == Int {
        let count = tokens.count
        var tokenIndex = 0
        var textIndex = start
        var starToken = -1
        var starText = start
        while textIndex < end {
            if tokenIndex < count {
                switch tokens[tokenIndex] {
                case .star:
                    starToken = tokenIndex
                    starText = textIndex
                    tokenIndex += 1
                    continue
                case .any:
                    tokenIndex += 1
                    textIndex += 1
                    continue
                case .literal(let element):
                    if text[textIndex] == element {
                        tokenIndex += 1
                        textIndex += 1
                        continue
                    }
                case .set(let setIndex):
                    if sets[setIndex].contains(text[textIndex]) {
                        tokenIndex += 1
                        textIndex += 1
                        continue
                    }
                }
            }
            guard starToken >= 0 else { return false }
            starText += 1
            textIndex = starText
            tokenIndex = starToken + 1
        }
        while tokenIndex < count, case .star = tokens[tokenIndex] {
            tokenIndex += 1
        }
        return tokenIndex == count
    }
}

/// A path pattern segment: `**`, or a token list index.
enum GlobSegment: Sendable {
    case globstar
    case tokens(Int)
}

/// The compiled form of a pattern over one element type (characters, or ASCII bytes).
struct GlobCode<Element: Comparable & Sendable>: Sendable {
    var lists: [GlobTokenList<Element>]
    /// nil for name patterns (match `lists[0]` against the whole text).
    var segments: [GlobSegment]?

    func matches<Text: RandomAccessCollection>(_ text: Text, separator: Element) -> Bool
    where Text.Element == Element, Text.Index == Int {
        guard let segments else {
            return lists[0].matches(text, from: 0, to: text.count)
        }
        // Segment-level version of the same two-pointer algorithm: `**` plays the star and every
        // other segment consumes exactly one text segment. `position` is the start of the next
        // text segment; `end + 1` means none is left ("" has no segments at all).
        let end = text.count
        func segmentEnd(_ from: Int) -> Int {
            var index = from
            while index < end, text[index] != separator { index += 1 }
            return index
        }
        let count = segments.count
        var segmentIndex = 0
        var position = end == 0 ? 1 : 0
        var starSegment = -1
        var starPosition = 0
        while position <= end {
            let stop = segmentEnd(position)
            if segmentIndex < count {
                switch segments[segmentIndex] {
                case .globstar:
                    starSegment = segmentIndex
                    starPosition = position
                    segmentIndex += 1
                    continue
                case .tokens(let list):
                    if lists[list].matches(text, from: position, to: stop) {
                        segmentIndex += 1
                        position = stop + 1
                        continue
                    }
                }
            }
            guard starSegment >= 0 else { return false }
            starPosition = segmentEnd(starPosition) + 1
            position = starPosition
            segmentIndex = starSegment + 1
        }
        while segmentIndex < count, case .globstar = segments[segmentIndex] {
            segmentIndex += 1
        }
        return segmentIndex == count
    }
}

/// Everything `Glob.matches` needs, built once from the parsed tokens.
struct GlobProgram: Sendable {
    private enum Shortcut: Sendable {
        case none
        case everything
        case exact(String)
    }

    private let shortcut: Shortcut
    private let characters: GlobCode<Character>
    /// Present when every character of the pattern is a one-byte ASCII character.
    private let bytes: GlobCode<UInt8>?

    var matchesEverything: Bool {
        if case .everything = shortcut { return true }
        return false
    }

    init(raw: [GlobRawToken], flavor: Glob.Flavor) {
        var lists: [GlobTokenList<Character>] = []
        var segments: [GlobSegment]?
        switch flavor {
        case .name:
            lists = [Self.compile(raw[...])]
        case .path:
            var built: [GlobSegment] = []
            for group in raw.split(whereSeparator: \.isSeparator) {
                let isGlobstar =
                    group.count == 2
                    && group.allSatisfy {
                        if case .star = $0.kind { return true }
                        return false
                    }
                if isGlobstar {
                    built.append(.globstar)
                } else {
                    built.append(.tokens(lists.count))
                    lists.append(Self.compile(group))
                }
            }
            segments = built
        }
        let code = GlobCode(lists: lists, segments: segments)
        characters = code
        bytes = Self.asciiCode(code)

        if let segments {
            shortcut = !segments.isEmpty && lists.isEmpty ? .everything : .none
        } else if let only = lists.first {
            let allStars = only.tokens.allSatisfy {
                if case .star = $0 { return true }
                return false
            }
            let literal = only.tokens.compactMap { token -> Character? in
                if case .literal(let char) = token { return char }
                return nil
            }
            if allStars {
                shortcut = .everything
            } else if literal.count == only.tokens.count {
                shortcut = .exact(String(literal))
            } else {
                shortcut = .none
            }
        } else {
            shortcut = .none
        }
    }

    func matches(_ text: String) -> Bool {
        switch shortcut {
        case .everything: return true
        case .exact(let literal): return text == literal
        case .none: break
        }
        if let bytes {
            let fast = text.utf8.withContiguousStorageIfAvailable { buffer -> Bool? in
                // "\r\n" is one Character but two bytes, so CR disqualifies the byte path.
                for byte in buffer where byte >= 0x80 || byte == 0x0D { return nil }
                return bytes.matches(buffer, separator: UInt8(ascii: "/"))
            }
            if let fast, let result = fast { return result }
        }
        return characters.matches(Array(text), separator: "/")
    }

    /// Token list for one name pattern or segment; consecutive stars collapse into one.
    private static func compile(_ raw: ArraySlice<GlobRawToken>) -> GlobTokenList<Character> {
        var tokens: [GlobToken<Character>] = []
        var sets: [GlobCharSet<Character>] = []
        for token in raw {
            switch token.kind {
            case .literal(let char): tokens.append(.literal(char))
            case .any: tokens.append(.any)
            case .star:
                if case .star = tokens.last { continue }
                tokens.append(.star)
            case .set(let set):
                tokens.append(.set(sets.count))
                sets.append(set)
            }
        }
        return GlobTokenList(tokens: tokens, sets: sets)
    }

    /// The byte-level twin of `code`, or nil when some character is not one ASCII byte.
    private static func asciiCode(_ code: GlobCode<Character>) -> GlobCode<UInt8>? {
        func byte(_ char: Character) -> UInt8? {
            // `Character.asciiValue` maps "\r\n" to "\n", so insist on a single UTF-8 byte.
            guard char.utf8.count == 1, let value = char.asciiValue, value != 0x0D else { return nil }
            return value
        }
        var lists: [GlobTokenList<UInt8>] = []
        for list in code.lists {
            var tokens: [GlobToken<UInt8>] = []
            for token in list.tokens {
                switch token {
                case .literal(let char):
                    guard let value = byte(char) else { return nil }
                    tokens.append(.literal(value))
                case .any: tokens.append(.any)
                case .star: tokens.append(.star)
                case .set(let index): tokens.append(.set(index))
                }
            }
            var sets: [GlobCharSet<UInt8>] = []
            for set in list.sets {
                var ranges: [ClosedRange<UInt8>] = []
                for range in set.ranges {
                    guard let low = byte(range.lowerBound), let high = byte(range.upperBound) else { return nil }
                    ranges.append(low...high)
                }
                sets.append(GlobCharSet(negated: set.negated, ranges: ranges))
            }
            lists.append(GlobTokenList(tokens: tokens, sets: sets))
        }
        return GlobCode(lists: lists, segments: code.segments)
    }
}
