import JunctionCore
import Testing

@Suite("Glob")
struct GlobTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let pattern: String
        let text: String
        let matches: Bool
        var testDescription: String { "'\(pattern)' \(matches ? "matches" : "does not match") '\(text)'" }

        init(_ pattern: String, _ text: String, _ matches: Bool) {
            self.pattern = pattern
            self.text = text
            self.matches = matches
        }
    }

    static let nameCases: [Case] = [
        Case("github__*", "github__create_issue", true),
        Case("github__*", "github__", true),
        Case("github__*", "gitlab__create_issue", false),
        Case("github__*", "xgithub__a", false),
        Case("*", "", true),
        Case("*", "a/b/c", true),
        Case("*__delete_*", "fs__delete_file", true),
        Case("*__delete_*", "fs__undelete_file", false),
        Case("fs__read_?", "fs__read_a", true),
        Case("fs__read_?", "fs__read_", false),
        Case("fs__read_?", "fs__read_ab", false),
        Case("gh__[ab]x", "gh__bx", true),
        Case("gh__[ab]x", "gh__cx", false),
        Case("gh__[a-c]x", "gh__cx", true),
        Case("gh__[!a]x", "gh__bx", true),
        Case("gh__[!a]x", "gh__ax", false),
        Case("gh__[^a]x", "gh__ax", false),
        Case("[-a]", "-", true),
        Case("[a-]", "-", true),
        Case("[\\]]", "]", true),
        Case("\\*", "*", true),
        Case("\\*", "a", false),
        Case("a\\?b", "a?b", true),
        Case("a\\?b", "axb", false),
        Case("a/*", "a/b/c", true),
        Case("**", "a/b", true),
        Case("exact__tool", "exact__tool", true),
        Case("exact__tool", "exact__tool2", false),
        Case("a*b*c", "aXXbYYc", true),
        Case("a*b*c", "aXXbYY", false),
        Case("*a", "banana", true),
        Case("x?y", "xéy", true),
        Case("x?y", "xe\u{301}y", true),
        Case("caf[é]", "café", true),
        Case("*é*", "résumé", true),
        Case("line?end", "line\r\nend", true),
    ]

    static let pathCases: [Case] = [
        Case("**", "", true),
        Case("**", "a", true),
        Case("**", "a/b/c", true),
        Case("src/**", "src", true),
        Case("src/**", "src/x/y", true),
        Case("src/**", "srcx", false),
        Case("src/**", "lib/src", false),
        Case("src/**", "", false),
        Case("**/test", "test", true),
        Case("**/test", "a/b/test", true),
        Case("**/test", "test/a", false),
        Case("a/**/b", "a/b", true),
        Case("a/**/b", "a/x/b", true),
        Case("a/**/b", "a/x/y/b", true),
        Case("a/**/b", "a/bx", false),
        Case("a/**/b", "b", false),
        Case("**/secrets/**", "secrets", true),
        Case("**/secrets/**", "a/secrets/k/v", true),
        Case("**/secrets/**", "a/secretsx/k", false),
        Case("*", "a", true),
        Case("*", "", false),
        Case("*", "a/b", false),
        Case("src/*.swift", "src/a.swift", true),
        Case("src/*.swift", "src/x/a.swift", false),
        Case("a?c", "a/c", false),
        Case("a[!x]c", "a/c", false),
        Case("a**", "abc", true),
        Case("a**", "a/b", false),
        Case("/src/**/", "src/a", true),
        Case("src//app", "src/app", true),
        Case("/", "", true),
        Case("/", "a", false),
        Case("src", "src", true),
        Case("src", "src/a", false),
        Case("docs/é*", "docs/été", true),
        Case("文档/**", "文档/设计/a.md", true),
        Case("**/*.md", "a/b/c.md", true),
        Case("**/*.md", "c.md", true),
        Case("**/*.md", "c.txt", false),
        Case("**/**", "", true),
        Case("**/**", "a/b", true),
        Case("a/**/**/b", "a/b", true),
        Case("a/**/**/b", "a/x/y/z/b", true),
        Case("*/**/z", "x/z", true),
        Case("*/**/z", "z", false),
    ]

    @Test("name patterns match tool names", arguments: nameCases)
    func namePatterns(_ testCase: Case) throws {
        let glob = try Glob(testCase.pattern, flavor: .name)
        #expect(glob.matches(testCase.text) == testCase.matches)
    }

    @Test("path patterns match subpaths segment by segment", arguments: pathCases)
    func pathPatterns(_ testCase: Case) throws {
        let glob = try Glob(testCase.pattern, flavor: .path)
        #expect(glob.matches(testCase.text) == testCase.matches)
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        let pattern: String
        let position: Int
        let reason: String
        var testDescription: String { "'\(pattern)': \(reason) at \(position)" }
    }

    @Test(
        "invalid patterns report the reason and position",
        arguments: [
            ErrorCase(pattern: "", position: 0, reason: "empty pattern"),
            ErrorCase(pattern: "gh__[ab", position: 4, reason: "unterminated character class"),
            ErrorCase(pattern: "[", position: 0, reason: "unterminated character class"),
            ErrorCase(pattern: "a[]b", position: 1, reason: "empty character class"),
            ErrorCase(pattern: "[!]", position: 0, reason: "empty character class"),
            ErrorCase(pattern: "x[z-a]", position: 2, reason: "reversed range 'z-a' in character class"),
            ErrorCase(pattern: "abc\\", position: 3, reason: "trailing escape '\\'"),
            ErrorCase(pattern: "[a\\", position: 2, reason: "trailing escape '\\'"),
            ErrorCase(pattern: "é[", position: 1, reason: "unterminated character class"),
        ])
    func errors(_ testCase: ErrorCase) {
        for flavor in [Glob.Flavor.name, .path] {
            #expect(throws: GlobError(pattern: testCase.pattern, position: testCase.position, reason: testCase.reason))
            {
                try Glob(testCase.pattern, flavor: flavor)
            }
        }
    }

    @Test("error description names pattern, reason and position")
    func errorDescription() {
        #expect(throws: GlobError.self) { try Glob("gh__[ab") }
        do {
            _ = try Glob("gh__[ab")
        } catch {
            #expect(error.description == "invalid glob 'gh__[ab': unterminated character class at position 4")
        }
    }

    @Test(
        "literal prefix, literalness and wildcard count",
        arguments: [
            ("github__create_issue", 20, true, 0),
            ("github__*", 8, false, 1),
            ("github__create_*", 15, false, 1),
            ("*", 0, false, 1),
            ("*__delete_*", 0, false, 2),
            ("a\\*b", 3, true, 0),
            ("gh__[ab]?", 4, false, 2),
            ("src/**", 4, false, 1),
        ] as [(String, Int, Bool, Int)])
    func specificityFacts(pattern: String, prefix: Int, literal: Bool, wildcards: Int) throws {
        let glob = try Glob(pattern)
        #expect(glob.literalPrefixLength == prefix)
        #expect(glob.isLiteral == literal)
        #expect(glob.wildcardCount == wildcards)
    }

    @Test("match-everything patterns are recognised")
    func matchesEverything() throws {
        #expect(try Glob("*").matchesEverything)
        #expect(try Glob("**", flavor: .path).matchesEverything)
        #expect(try Glob("**/**", flavor: .path).matchesEverything)
        #expect(try !Glob("*", flavor: .path).matchesEverything)
        #expect(try !Glob("a*").matchesEverything)
    }

    @Test("pathological patterns stay fast instead of backtracking exponentially", .timeLimit(.minutes(1)))
    func pathological() throws {
        let text = String(repeating: "a", count: 5_000)
        let names = try Glob("a*a*a*a*a*a*a*b")
        let paths = try Glob("a*a*a*a*a*a*a*b", flavor: .path)
        let unicode = try Glob("*a*a*a*a*a*a*a*ab")
        let globstars = try Glob("**/a/**/a/**/a/**/b", flavor: .path)
        let deep = Array(repeating: "a", count: 300).joined(separator: "/")
        let accents = String(repeating: "é", count: 2_000)
        // Exponential backtracking would not finish within the test's time limit; no timing is asserted.
        #expect(!names.matches(text))
        #expect(!paths.matches(text))
        #expect(!unicode.matches(accents))
        #expect(!globstars.matches(deep))
    }

    @Test("globs compare by pattern and flavor")
    func equality() throws {
        #expect(try Glob("a*") == Glob("a*"))
        #expect(try Glob("a*") != Glob("a*", flavor: .path))
        #expect(try Set([Glob("a*"), Glob("a*")]).count == 1)
    }
}
