import JunctionCore
import Testing

@Suite("PathNormalizer")
struct PathNormalizerTests {
    @Test(
        "normalises absolute paths",
        arguments: [
            ("/", "/"),
            ("//", "/"),
            ("/a/b", "/a/b"),
            ("/a/b/", "/a/b"),
            ("/a//b///c", "/a/b/c"),
            ("/a/./b/.", "/a/b"),
            ("/a/b/../c", "/a/c"),
            ("/..", "/"),
            ("/../../a", "/a"),
            ("/a/..", "/"),
            ("/a/.../b", "/a/.../b"),
            ("/a/..b/.c", "/a/..b/.c"),
            ("/Users/zoë/项目/", "/Users/zoë/项目"),
        ])
    func normalizes(input: String, expected: String) throws {
        #expect(try PathNormalizer.normalize(input) == expected)
    }

    @Test("rejects relative and empty paths with a clear message", arguments: ["", "a/b", "./a", "~/src", "../x"])
    func rejectsRelative(input: String) {
        #expect(throws: PathError.self) { try PathNormalizer.normalize(input) }
    }

    @Test("relative path message says it must be absolute")
    func relativeMessage() {
        #expect(throws: PathError(path: "src/app", reason: "must be absolute (start with '/')")) {
            try PathNormalizer.normalize("src/app")
        }
        let error = PathError(path: "src/app", reason: "must be absolute (start with '/')")
        #expect(error.description == "invalid path 'src/app': must be absolute (start with '/')")
    }

    @Test(
        "ancestor-or-equal respects segment boundaries",
        arguments: [
            ("/src/app", "/src/app", true),
            ("/src/app", "/src/app/x", true),
            ("/src/app", "/src/apple", false),
            ("/src/app", "/src", false),
            ("/src/app/x", "/src/app", false),
            ("/", "/", true),
            ("/", "/anything/deep", true),
            ("/a", "/ab/c", false),
            ("/é", "/é/x", true),
        ])
    func ancestor(ancestor: String, path: String, expected: Bool) {
        #expect(PathNormalizer.isAncestorOrEqual(ancestor, of: path) == expected)
    }

    @Test(
        "relative paths are empty at the root itself",
        arguments: [
            ("/src/app", "/src/app", ""),
            ("/src/app/x/y", "/src/app", "x/y"),
            ("/src/app", "/", "src/app"),
            ("/", "/", ""),
            ("/elsewhere", "/src", "/elsewhere"),
        ])
    func relative(path: String, root: String, expected: String) {
        #expect(PathNormalizer.relative(path, to: root) == expected)
    }
}
