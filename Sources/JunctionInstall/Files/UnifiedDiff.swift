/// A line-based unified diff (`--- a/…`, `+++ b/…`, `@@ -l,s +l,s @@` hunks with three lines of
/// context), as `diff -u` prints it.
public enum UnifiedDiff {
    public static func make(
        old: [UInt8], new: [UInt8], oldLabel: String, newLabel: String, context: Int = 3
    ) -> String {
        let before = lines(old)
        let after = lines(new)
        let operations = diff(before, after)
        guard operations.contains(where: { $0.kind != .equal }) else { return "" }
        var output = "--- \(oldLabel)\n+++ \(newLabel)\n"
        // Indices of changed operations, grouped into hunks whose gaps are at most 2 × context.
        let changed = operations.indices.filter { operations[$0].kind != .equal }
        var groups: [ClosedRange<Int>] = []
        for index in changed {
            if let last = groups.last, index - last.upperBound <= 2 * context + 1 {
                groups[groups.count - 1] = last.lowerBound...index
            } else {
                groups.append(index...index)
            }
        }
        for group in groups {
            let start = max(0, group.lowerBound - context)
            let end = min(operations.count - 1, group.upperBound + context)
            let slice = operations[start...end]
            let oldCount = slice.filter { $0.kind != .insert }.count
            let newCount = slice.filter { $0.kind != .delete }.count
            let oldStart = slice.first { $0.kind != .insert }.map { $0.old + 1 } ?? operations[start].old
            let newStart = slice.first { $0.kind != .delete }.map { $0.new + 1 } ?? operations[start].new
            output += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            for operation in slice {
                let line: Line
                switch operation.kind {
                case .equal:
                    line = before[operation.old]
                    output += " "
                case .delete:
                    line = before[operation.old]
                    output += "-"
                case .insert:
                    line = after[operation.new]
                    output += "+"
                }
                output += line.text + "\n"
                if !line.terminated { output += "\\ No newline at end of file\n" }
            }
        }
        return output
    }

    private static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(count == 0 ? max(0, start - 1) : start),\(count)"
    }

    struct Line: Equatable {
        var text: String
        var terminated: Bool
    }

    static func lines(_ bytes: [UInt8]) -> [Line] {
        var result: [Line] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            result.append(Line(text: String(decoding: bytes[start..<index], as: UTF8.self), terminated: true))
            start = index + 1
        }
        if start < bytes.count {
            result.append(Line(text: String(decoding: bytes[start...], as: UTF8.self), terminated: false))
        }
        return result
    }

    struct Operation {
        enum Kind { case equal, delete, insert }
        var kind: Kind
        /// Index in the old lines (for insert: where the old side stands).
        var old: Int
        /// Index in the new lines (for delete: where the new side stands).
        var new: Int
    }

    /// Common prefix and suffix, then a longest-common-subsequence table over what remains (edits
    /// to configuration files are local, so that middle is small; a huge one is shown as replaced).
    static func diff(_ before: [Line], _ after: [Line]) -> [Operation] {
        var prefix = 0
        while prefix < before.count && prefix < after.count && before[prefix] == after[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < before.count - prefix && suffix < after.count - prefix
            && before[before.count - 1 - suffix] == after[after.count - 1 - suffix]
        {
            suffix += 1
        }
        var operations = (0..<prefix).map { Operation(kind: .equal, old: $0, new: $0) }
        let oldMiddle = Array(before[prefix..<(before.count - suffix)])
        let newMiddle = Array(after[prefix..<(after.count - suffix)])
        let rows = oldMiddle.count
        let columns = newMiddle.count
        if rows * columns <= 4_000_000 && rows > 0 && columns > 0 {
            // lengths[i][j]: LCS length of oldMiddle[i...] and newMiddle[j...].
            var lengths = [[Int]](repeating: [Int](repeating: 0, count: columns + 1), count: rows + 1)
            for i in stride(from: rows - 1, through: 0, by: -1) {
                for j in stride(from: columns - 1, through: 0, by: -1) {
                    lengths[i][j] =
                        oldMiddle[i] == newMiddle[j]
                        ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
                }
            }
            var i = 0
            var j = 0
            while i < rows || j < columns {
                if i < rows && j < columns && oldMiddle[i] == newMiddle[j] {
                    operations.append(Operation(kind: .equal, old: prefix + i, new: prefix + j))
                    i += 1
                    j += 1
                } else if i < rows && (j == columns || lengths[i + 1][j] >= lengths[i][j + 1]) {
                    operations.append(Operation(kind: .delete, old: prefix + i, new: prefix + j))
                    i += 1
                } else {
                    operations.append(Operation(kind: .insert, old: prefix + i, new: prefix + j))
                    j += 1
                }
            }
        } else {
            for i in 0..<rows { operations.append(Operation(kind: .delete, old: prefix + i, new: prefix)) }
            for j in 0..<columns { operations.append(Operation(kind: .insert, old: prefix + rows, new: prefix + j)) }
        }
        for k in 0..<suffix {
            operations.append(Operation(kind: .equal, old: before.count - suffix + k, new: after.count - suffix + k))
        }
        return operations
    }
}
