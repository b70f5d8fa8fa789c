/// Finds and replaces known secret values (as UTF-8 byte strings) anywhere inside other bytes.
struct SecretValueMatcher: Sendable, Hashable {
    /// Needles, longest first, so a secret that contains another is replaced whole.
    private let needles: [[UInt8]]

    init(_ needles: [[UInt8]]) {
        var unique: [[UInt8]] = []
        for needle in needles where !needle.isEmpty && !unique.contains(needle) {
            unique.append(needle)
        }
        self.needles = unique.sorted { $0.count > $1.count }
    }

    var isEmpty: Bool { needles.isEmpty }

    /// `haystack` with every occurrence of a needle replaced by `replacement`, scanning left to
    /// right; nil when no needle occurs (the common case allocates nothing).
    func replacingOccurrences<Bytes: RandomAccessCollection<UInt8>>(
        in haystack: Bytes, with replacement: [UInt8]
    ) -> [UInt8]? where Bytes.Index == Int {
        guard !needles.isEmpty else { return nil }
        var output: [UInt8]? = nil
        var copiedUpTo = haystack.startIndex
        var index = haystack.startIndex
        while index < haystack.endIndex {
            guard let length = match(in: haystack, at: index) else {
                index += 1
                continue
            }
            if output == nil { output = [] }
            output?.append(contentsOf: haystack[copiedUpTo..<index])
            output?.append(contentsOf: replacement)
            index += length
            copiedUpTo = index
        }
        guard var result = output else { return nil }
        result.append(contentsOf: haystack[copiedUpTo..<haystack.endIndex])
        return result
    }

    /// Whether any needle occurs in `haystack`.
    func occurs<Bytes: RandomAccessCollection<UInt8>>(in haystack: Bytes) -> Bool where Bytes.Index == Int {
        guard !needles.isEmpty else { return false }
        var index = haystack.startIndex
        while index < haystack.endIndex {
            if match(in: haystack, at: index) != nil { return true }
            index += 1
        }
        return false
    }

    /// Length of the longest needle starting at `index`.
    private func match<Bytes: RandomAccessCollection<UInt8>>(in haystack: Bytes, at index: Int) -> Int?
    where Bytes.Index == Int {
        let first = haystack[index]
        let remaining = haystack.endIndex - index
        for needle in needles where needle[0] == first && needle.count <= remaining {
            var offset = 1
            while offset < needle.count && haystack[index + offset] == needle[offset] { offset += 1 }
            if offset == needle.count { return needle.count }
        }
        return nil
    }
}
