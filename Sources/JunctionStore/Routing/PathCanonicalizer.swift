import Foundation
import JunctionCore

/// Resolves symlinks so `/home/me/proj` and the `/data/me/proj` it links to name one workspace.
public enum PathCanonicalizer {
    /// `realpath(3)` of the longest existing prefix, with the rest appended: workspace roots that
    /// do not exist yet still canonicalise consistently.
    public static let resolvingSymlinks: @Sendable (String) -> String = { path in
        canonicalize(path)
    }

    static func canonicalize(_ path: String) -> String {
        guard let normalized = try? PathNormalizer.normalize(path) else { return path }
        var existing = normalized
        var rest: [String] = []
        while true {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                let base = String(cString: resolved)
                guard !rest.isEmpty else { return base }
                return (base == "/" ? "" : base) + "/" + rest.reversed().joined(separator: "/")
            }
            guard existing != "/", let slash = existing.lastIndex(of: "/") else { return normalized }
            rest.append(String(existing[existing.index(after: slash)...]))
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
    }
}
