/// One scope's rules, sorted in resolver order and indexed by namespace.
///
/// A tool pattern whose literal prefix contains `__` can only match tools of the namespace
/// before that `__` (namespaces contain no `_`, and the prefix pins where the tool's first `__`
/// is), so it goes into that namespace's bucket; every other enabled rule goes into `wildcard`.
/// Buckets hold indices into `rules`, which is sorted, so merging a bucket with `wildcard` by
/// index visits candidates in exact resolver order without re-sorting.
final class RoutingScope: Sendable {
    /// nil for the global scope.
    let workspace: Workspace?
    /// Canonical root; "/" for global.
    let root: String
    let name: String
    /// All rules of the scope (disabled ones too, for the trace), in resolver order.
    let rules: [CompiledRule]
    let byNamespace: [Substring: [Int32]]
    let wildcard: [Int32]

    init(workspace: Workspace?, root: String, rules unsorted: [CompiledRule]) {
        self.workspace = workspace
        self.root = root
        name = workspace?.name ?? "global"
        let sorted = unsorted.sorted(by: CompiledRule.precedes)
        rules = sorted
        var buckets: [Substring: [Int32]] = [:]
        var wildcard: [Int32] = []
        for (index, compiled) in sorted.enumerated() where compiled.rule.enabled {
            if let namespace = Self.literalNamespace(
                compiled.rule.toolPattern, prefixLength: compiled.toolGlob.literalPrefixLength)
            {
                buckets[namespace, default: []].append(Int32(index))
            } else {
                wildcard.append(Int32(index))
            }
        }
        byNamespace = buckets
        self.wildcard = wildcard
    }

    /// Index of the first enabled rule matching `tool` at `subpath`, in resolver order.
    @inline(__always)
    func firstMatch(tool: String, namespace: Substring?, subpath: String) -> Int? {
        let bucket = namespace.flatMap { byNamespace[$0] } ?? []
        var bucketIndex = 0
        var wildIndex = 0
        while bucketIndex < bucket.count || wildIndex < wildcard.count {
            let candidate: Int32
            if wildIndex >= wildcard.count || (bucketIndex < bucket.count && bucket[bucketIndex] < wildcard[wildIndex])
            {
                candidate = bucket[bucketIndex]
                bucketIndex += 1
            } else {
                candidate = wildcard[wildIndex]
                wildIndex += 1
            }
            if rules[Int(candidate)].matches(tool: tool, subpath: subpath) { return Int(candidate) }
        }
        return nil
    }

    /// The namespace a pattern is pinned to: the text before the first `__`, when that `__` lies
    /// inside the literal prefix. Escapes make the literal prefix differ from the raw text, so
    /// escaped patterns simply stay in the wildcard bucket.
    private static func literalNamespace(_ pattern: String, prefixLength: Int) -> Substring? {
        guard !pattern.contains("\\") else { return nil }
        let literal = pattern.prefix(prefixLength)
        guard let separator = literal.firstRange(of: "__") else { return nil }
        return literal[..<separator.lowerBound]
    }
}
