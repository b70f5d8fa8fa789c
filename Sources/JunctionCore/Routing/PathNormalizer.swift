/// Lexical path handling for workspace roots and client roots. No file system access: symlinks
/// are resolved by the caller-supplied canonicalizer in ``RoutingConfig``.
///
/// Normalised paths are absolute, have no empty, `.` or `..` segments and no trailing slash
/// (except `/` itself). Comparisons are byte-exact on UTF-8, like the file system.
public enum PathNormalizer {
    /// Normalises an absolute path: collapses `//` and `.`, resolves `..` lexically (never above
    /// `/`), strips a trailing slash.
    public static func normalize(_ path: String) throws(PathError) -> String {
        guard !path.isEmpty else {
            throw PathError(path: path, reason: "is empty; an absolute path is required")
        }
        guard path.utf8.first == UInt8(ascii: "/") else {
            throw PathError(path: path, reason: "must be absolute (start with '/')")
        }
        guard !path.utf8.contains(0) else {
            throw PathError(path: path, reason: "contains a NUL byte")
        }
        if isNormalized(path) { return path }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": _ = parts.popLast()
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Whether `ancestor` is `path` or one of its parent directories, on segment boundaries:
    /// `/src/app` contains `/src/app` and `/src/app/x` but not `/src/apple`; `/` contains every
    /// absolute path. Both arguments must already be normalised.
    public static func isAncestorOrEqual(_ ancestor: String, of path: String) -> Bool {
        let ancestorBytes = ancestor.utf8
        let pathBytes = path.utf8
        if ancestorBytes.count == 1, ancestorBytes.first == UInt8(ascii: "/") {
            return pathBytes.first == UInt8(ascii: "/")
        }
        guard pathBytes.starts(with: ancestorBytes) else { return false }
        if pathBytes.count == ancestorBytes.count { return true }
        let boundary = pathBytes.index(pathBytes.startIndex, offsetBy: ancestorBytes.count)
        return pathBytes[boundary] == UInt8(ascii: "/")
    }

    /// `path` relative to `root`: `""` when equal, `"x/y"` for `/root/x/y`. Both must be
    /// normalised and `root` must satisfy ``isAncestorOrEqual(_:of:)``; otherwise `path` is
    /// returned unchanged.
    public static func relative(_ path: String, to root: String) -> String {
        guard isAncestorOrEqual(root, of: path) else { return path }
        let rootBytes = root.utf8
        let pathBytes = path.utf8
        if pathBytes.count == rootBytes.count { return "" }
        // Skip the root and the separating slash (for "/" the root is the slash).
        let skip = rootBytes.count == 1 ? 1 : rootBytes.count + 1
        let start = pathBytes.index(pathBytes.startIndex, offsetBy: skip)
        return String(Substring(pathBytes[start...]))
    }

    /// Fast check so already-normalised paths (the common case) are returned without rebuilding.
    private static func isNormalized(_ path: String) -> Bool {
        let bytes = path.utf8
        if bytes.count == 1 { return true }
        if bytes.last == UInt8(ascii: "/") { return false }
        // A segment is bad when it is empty, "." or "..".
        var segmentLength = 0
        var dots = 0
        var first = true
        for byte in bytes {
            if first {
                first = false
                continue
            }
            if byte == UInt8(ascii: "/") {
                if segmentLength == 0 || (segmentLength == dots && dots <= 2) { return false }
                segmentLength = 0
                dots = 0
            } else {
                segmentLength += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
            }
        }
        return !(segmentLength == 0 || (segmentLength == dots && dots <= 2))
    }
}
