import JunctionCore
import Testing

@Suite("ToolNaming")
struct ToolNamingTests {
    /// `^[a-zA-Z0-9_-]{1,64}$`, the MCP tool name pattern.
    private func isWellFormed(_ name: String) -> Bool {
        let pattern = try! Regex("^[a-zA-Z0-9_-]{1,64}$")
        return name.wholeMatch(of: pattern) != nil
    }

    @Test(
        "plain names are namespace__name, unchanged",
        arguments: [
            ("github", "create_issue", "github__create_issue"),
            ("my-fs", "read-file", "my-fs__read-file"),
            ("a", "B9", "a__B9"),
        ])
    func plainNames(namespace: String, name: String, expected: String) {
        #expect(ToolNaming.visibleName(namespace: namespace, name: name) == expected)
        #expect(ToolNaming.isValid(expected))
    }

    @Test("a name of exactly 64 characters is kept; 65 is shortened")
    func lengthBoundary() {
        let fits = String(repeating: "x", count: 64 - "ns__".count)
        #expect(ToolNaming.visibleName(namespace: "ns", name: fits) == "ns__" + fits)
        let long = ToolNaming.visibleName(namespace: "ns", name: fits + "y")
        #expect(long.count == 64)
        #expect(long.hasPrefix("ns__xxxx"))
        #expect(long != "ns__" + fits)
        #expect(isWellFormed(long))
    }

    @Test(
        "long names and names with illegal characters are shortened to a legal, stable name",
        arguments: [
            String(repeating: "very_long_tool_name_", count: 10),
            "read.file",
            "tool with spaces",
            "path/to/tool",
            "工具",
            "emoji😀tool",
            "dots.and." + String(repeating: "long", count: 30),
        ])
    func shortened(name: String) {
        let visible = ToolNaming.visibleName(namespace: "srv", name: name)
        #expect(isWellFormed(visible), "\(visible)")
        #expect(visible.count <= ToolNaming.maxLength)
        #expect(visible.hasPrefix("srv__"))
        // Ends in _ and ten hex digits of the original name's hash.
        let suffix = visible.suffix(11)
        #expect(suffix.first == "_")
        #expect(suffix.dropFirst().allSatisfy { $0.isHexDigit })
        // Deterministic.
        #expect(ToolNaming.visibleName(namespace: "srv", name: name) == visible)
    }

    @Test("illegal characters become underscores in the kept part")
    func sanitizedPrefix() {
        let visible = ToolNaming.visibleName(namespace: "fs", name: "read.file")
        #expect(visible.hasPrefix("fs__read_file_"))
        #expect(visible.count == "fs__read_file".count + 11)
        // Sanitising alone would make these equal; the hash keeps them apart.
        #expect(visible != ToolNaming.visibleName(namespace: "fs", name: "read,file"))
        #expect(visible != ToolNaming.visibleName(namespace: "fs", name: "read_file"))
    }

    @Test("the hash is stable across runs and platforms")
    func stableHash() {
        // FNV-1a 64 of "ns__a.b" is 0x76b9de39c47cb93b; its first ten hex digits are the suffix.
        #expect(ToolNaming.visibleName(namespace: "ns", name: "a.b") == "ns__a_b_76b9de39c4")
    }

    @Test("thousands of distinct random names map to distinct legal names")
    func distinctOutputs() {
        var generator = SplitMix64(seed: 0x5EED_7001)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:/ é😀")
        var names = Set<String>()
        while names.count < 4000 {
            let length = Int.random(in: 1...90, using: &generator)
            names.insert(String((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        var seen: [String: String] = [:]
        for name in names {
            let visible = ToolNaming.visibleName(namespace: "ns", name: name)
            #expect(isWellFormed(visible), "\(name) → \(visible)")
            if let other = seen[visible] {
                Issue.record("\(name) and \(other) both map to \(visible)")
            }
            seen[visible] = name
        }
        #expect(seen.count == names.count)
    }
}
