import Foundation

/// The origin (scheme, host, port) of a remote server's URL: where the legacy transport's
/// `endpoint` event and any redirect may lead.
struct RemoteOrigin: Hashable, Sendable, CustomStringConvertible {
    var scheme: String
    var host: String
    var port: Int

    /// Nil for a URL that is not absolute `http` or `https` with a host.
    init?(_ url: URL) {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host?.lowercased(), !host.isEmpty
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = url.port ?? (scheme == "https" ? 443 : 80)
    }

    var description: String { "\(scheme)://\(host):\(port)" }

    /// `reference` (an `endpoint` event's data, a `Location` header) resolved against `base`,
    /// if it stays on `base`'s origin; nil for anything else (another host, port or scheme, or
    /// not a URL at all).
    static func resolve(_ reference: String, against base: URL) -> URL? {
        let trimmed = reference.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, let resolved = URL(string: trimmed, relativeTo: base)?.absoluteURL,
            let origin = RemoteOrigin(resolved), origin == RemoteOrigin(base)
        else { return nil }
        return resolved
    }
}
