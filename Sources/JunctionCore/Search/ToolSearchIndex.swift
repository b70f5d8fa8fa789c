import Foundation

/// BM25 over a tool catalog: finds tools the way people ask for them ("create an issue",
/// "listPullRequests", `github__get_file`). Each tool is one document made of its client-visible
/// name, its title, its description and its parameters' names and descriptions, every field
/// tokenised the same way as the query (snake_case, camelCase, `__`, dots and dashes split; `+`
/// and `%20` decoded; lowercased; plurals folded). A query equal to a tool's client-visible name
/// ranks that tool first; one equal to its own (server) name ranks it next.
///
/// A value built once per catalog: building tokenises every tool, a search only scores the
/// postings of the query's terms.
public struct ToolSearchIndex: Sendable {
    /// One tool as it is searched.
    public struct Document: Sendable, Hashable {
        /// The client-visible name (`namespace__tool`).
        public var name: String
        /// The tool's own name on its server, when it differs from `name`.
        public var toolName: String?
        public var title: String?
        public var description: String?
        public var parameters: [Parameter]

        public struct Parameter: Sendable, Hashable {
            public var name: String
            public var description: String?

            public init(name: String, description: String? = nil) {
                self.name = name
                self.description = description
            }
        }

        public init(
            name: String, toolName: String? = nil, title: String? = nil, description: String? = nil,
            parameters: [Parameter] = []
        ) {
            self.name = name
            self.toolName = toolName
            self.title = title
            self.description = description
            self.parameters = parameters
        }

        /// A tool as `tools/list` gives it (`name`, `title`, `description`, `inputSchema`), under
        /// its client-visible name.
        public init(name: String, toolName: String? = nil, tool: RawJSON) {
            let properties = tool["inputSchema"]?["properties"]?.members ?? []
            let title = tool["title"]?.stringValue ?? tool["annotations"]?["title"]?.stringValue
            self.init(
                name: name, toolName: toolName, title: title, description: tool["description"]?.stringValue,
                parameters: properties.map {
                    Parameter(name: $0.key, description: $0.value["description"]?.stringValue)
                })
        }
    }

    /// A matching tool: its position in the documents the index was built from, and its score.
    public struct Hit: Sendable, Hashable {
        public var index: Int
        public var name: String
        public var score: Double
    }

    /// How much one occurrence of a term counts, by field: a word of the name says more about a
    /// tool than a word of a parameter's description.
    enum Weight {
        static let name = 3.0
        static let title = 2.0
        static let description = 1.0
        static let parameterName = 1.0
        static let parameterDescription = 0.5
    }

    /// BM25's usual constants: term-frequency saturation and length normalisation.
    static let k1 = 1.2
    static let b = 0.75
    /// Added to the score of an exact name match, far above any BM25 score.
    static let exactVisibleBonus = 1_000_000.0
    static let exactToolBonus = 100_000.0

    public let documents: [Document]
    /// Term → (document, weighted frequency).
    private let postings: [String: [(document: Int, frequency: Double)]]
    private let lengths: [Double]
    private let averageLength: Double
    private let visibleNames: [String: [Int]]
    private let toolNames: [String: [Int]]

    public init(_ documents: [Document]) {
        self.documents = documents
        var postings: [String: [(document: Int, frequency: Double)]] = [:]
        var lengths: [Double] = []
        var visibleNames: [String: [Int]] = [:]
        var toolNames: [String: [Int]] = [:]
        lengths.reserveCapacity(documents.count)
        for (index, document) in documents.enumerated() {
            var frequencies: [String: Double] = [:]
            func add(_ text: String?, weight: Double) {
                guard let text else { return }
                for term in Self.terms(text) { frequencies[term, default: 0] += weight }
            }
            add(document.name, weight: Weight.name)
            add(document.title, weight: Weight.title)
            add(document.description, weight: Weight.description)
            for parameter in document.parameters {
                add(parameter.name, weight: Weight.parameterName)
                add(parameter.description, weight: Weight.parameterDescription)
            }
            for (term, frequency) in frequencies { postings[term, default: []].append((index, frequency)) }
            lengths.append(frequencies.values.reduce(0, +))
            visibleNames[document.name.lowercased(), default: []].append(index)
            if let toolName = document.toolName { toolNames[toolName.lowercased(), default: []].append(index) }
        }
        self.postings = postings
        self.lengths = lengths
        self.averageLength = lengths.isEmpty ? 1 : max(1, lengths.reduce(0, +) / Double(lengths.count))
        self.visibleNames = visibleNames
        self.toolNames = toolNames
    }

    /// The best `limit` tools for `query`, best first (ties by name), among those `include`
    /// accepts (by document index). An empty query finds nothing.
    public func search(_ query: String, limit: Int, include: (Int) -> Bool = { _ in true }) -> [Hit] {
        guard limit > 0 else { return [] }
        let decoded = Self.decodeQuery(query)
        var scores: [Int: Double] = [:]
        let exact = decoded.lowercased()
        for index in visibleNames[exact] ?? [] { scores[index, default: 0] += Self.exactVisibleBonus }
        for index in toolNames[exact] ?? [] { scores[index, default: 0] += Self.exactToolBonus }
        let count = Double(documents.count)
        for term in Set(Self.terms(decoded)) {
            guard let list = postings[term] else { continue }
            let frequency = Double(list.count)
            let idf = log(1 + (count - frequency + 0.5) / (frequency + 0.5))
            for (document, tf) in list {
                let norm = tf + Self.k1 * (1 - Self.b + Self.b * lengths[document] / averageLength)
                scores[document, default: 0] += idf * tf * (Self.k1 + 1) / norm
            }
        }
        let ranked = scores.filter { $0.value > 0 && include($0.key) }
            .map { Hit(index: $0.key, name: documents[$0.key].name, score: $0.value) }
            .sorted { lhs, rhs in lhs.score != rhs.score ? lhs.score > rhs.score : lhs.name < rhs.name }
        return Array(ranked.prefix(limit))
    }

    // MARK: - Text

    /// A query as a person or a URL gave it: `+` read as a space, percent escapes decoded,
    /// surrounding white space trimmed.
    public static func decodeQuery(_ query: String) -> String {
        let spaced = query.replacingOccurrences(of: "+", with: " ")
        let decoded = spaced.removingPercentEncoding ?? spaced
        return decoded.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Words that say nothing about which tool is meant.
    static let stopWords: Set<String> = [
        "a", "an", "the", "to", "of", "for", "in", "on", "at", "and", "or", "with", "by", "from", "into", "is",
        "are", "be", "it", "its", "this", "that", "these", "those", "me", "my", "i", "we", "our", "you", "your",
        "do", "does", "how", "can", "could", "please", "want", "need", "some", "all", "any",
    ]

    /// The search terms of a text: words split at anything not a letter or digit and at camelCase
    /// humps, lowercased, stop words dropped, plurals and verb endings folded.
    public static func terms(_ text: String) -> [String] {
        words(text).compactMap { word in
            let lower = word.lowercased()
            guard !stopWords.contains(lower) else { return nil }
            return stem(lower)
        }
    }

    /// Splits `getHTTPResponse_v2.parse-all` into `get`, `HTTP`, `Response`, `v2`, `parse`, `all`.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current: [Character] = []
        func flush() {
            if !current.isEmpty { words.append(String(current)) }
            current.removeAll(keepingCapacity: true)
        }
        let characters = Array(text)
        for (offset, character) in characters.enumerated() {
            guard character.isLetter || character.isNumber else {
                flush()
                continue
            }
            if let previous = current.last, character.isUppercase {
                let next = offset + 1 < characters.count ? characters[offset + 1] : nil
                // A hump (`getFile`) or the end of an acronym before a word (`HTTPServer`).
                if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) {
                    flush()
                }
            }
            current.append(character)
        }
        flush()
        return words
    }

    /// A light English stemmer, the same for catalog and query, so that `issues`/`issue`,
    /// `repositories`/`repository`, `branches`/`branch`, `listing`/`list` and
    /// `created`/`creating`/`create` meet. Stems need not be words.
    static func stem(_ word: String) -> String {
        guard word.count > 3, word.allSatisfy(\.isLetter) else { return word }
        var word = word
        if word.hasSuffix("ies"), word.count > 4 { return String(word.dropLast(3)) + "y" }
        for ending in ["ches", "shes", "sses", "xes"] where word.hasSuffix(ending) { return String(word.dropLast(2)) }
        if word.hasSuffix("s"), !word.hasSuffix("ss"), !word.hasSuffix("us"), !word.hasSuffix("is") {
            word.removeLast()
        }
        if word.hasSuffix("ing"), word.count > 5, hasVowel(word.dropLast(3)) {
            word = undoubled(String(word.dropLast(3)))
        } else if word.hasSuffix("ed"), word.count > 4, !word.hasSuffix("eed"), hasVowel(word.dropLast(2)) {
            word = undoubled(String(word.dropLast(2)))
        }
        if word.hasSuffix("e"), word.count > 3 { word.removeLast() }
        return word
    }

    private static func hasVowel(_ text: Substring) -> Bool {
        text.contains { "aeiouy".contains($0) }
    }

    /// `stopp` → `stop`, `runn` → `run`; `pass`, `fill` and `buzz` keep their pair.
    private static func undoubled(_ stem: String) -> String {
        guard let last = stem.last, stem.count > 2, stem.dropLast().last == last, !"lsz".contains(last) else {
            return stem
        }
        return String(stem.dropLast())
    }
}
