import Testing

@testable import JunctionInstall

@Suite("Unified diff")
struct UnifiedDiffTests {
    func diff(_ old: String, _ new: String) -> String {
        UnifiedDiff.make(old: Array(old.utf8), new: Array(new.utf8), oldLabel: "a/f", newLabel: "b/f")
    }

    @Test("equal inputs give no diff")
    func equal() {
        #expect(diff("a\nb\n", "a\nb\n") == "")
    }

    @Test("a change in the middle shows three lines of context on each side")
    func middle() {
        let old = (1...10).map { "l\($0)\n" }.joined()
        let new = old.replacingOccurrences(of: "l5\n", with: "five\nl5b\n")
        #expect(
            diff(old, new) == "--- a/f\n+++ b/f\n@@ -2,7 +2,8 @@\n l2\n l3\n l4\n-l5\n+five\n+l5b\n l6\n l7\n l8\n")
    }

    @Test("a new file and a missing final newline are shown as diff -u shows them")
    func newFileAndNoNewline() {
        #expect(diff("", "x\ny") == "--- a/f\n+++ b/f\n@@ -0,0 +1,2 @@\n+x\n+y\n\\ No newline at end of file\n")
        #expect(diff("x", "x\n") == "--- a/f\n+++ b/f\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+x\n")
    }

    @Test("distant changes make separate hunks")
    func twoHunks() {
        let old = (1...20).map { "l\($0)\n" }.joined()
        let new = old.replacingOccurrences(of: "l2\n", with: "two\n").replacingOccurrences(of: "l18\n", with: "")
        let output = diff(old, new)
        #expect(output.contains("@@ -1,5 +1,5 @@") && output.contains("@@ -15,6 +15,5 @@"), "\(output)")
    }
}
