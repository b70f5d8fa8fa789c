#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Which `Host` names and browser `Origin`s the admin API answers: the DNS rebinding defence of
/// DESIGN §6. A page on `attacker.example` whose name later resolves to 127.0.0.1 still sends
/// `Host: attacker.example`, so only names that cannot be rebound pass: `localhost`, IPv4
/// literals in 127.0.0.0/8 and `[::1]`, plus the names the user listed in `allowed_hosts` and,
/// with `--allow-remote`, the host the daemon bound. Prefix tests such as "starts with `127.`"
/// are exactly what rebinding defeats (`127.attacker.example` is a DNS name), so literals are
/// parsed, never matched as text.
public struct HostPolicy: Sendable {
    /// `--allow-remote` was given.
    public let allowRemote: Bool
    /// Extra host names (the `allowed_hosts` setting), lowercased, without ports.
    public let allowedHosts: Set<String>
    /// The address the daemon bound, as given to `--host`; with `allowRemote` it is accepted as
    /// a Host. A wildcard (`0.0.0.0`, `::`) or none accepts any IP literal: an address typed
    /// into a browser cannot be rebound, only names can.
    public let boundHost: String?

    public init(allowRemote: Bool = false, allowedHosts: [String] = [], boundHost: String? = nil) {
        self.allowRemote = allowRemote
        self.allowedHosts = Set(
            allowedHosts.compactMap { name in
                Self.parseAuthority(name)?.host ?? (Self.ipv6Bytes(name) != nil ? name.lowercased() : nil)
            })
        self.boundHost = boundHost.map { Self.parseAuthority($0)?.host ?? $0.lowercased() }
    }

    /// A parsed `Host` (or origin authority): the host lowercased and without IPv6 brackets.
    public struct Authority: Sendable, Equatable {
        public var host: String
        public var port: Int?
    }

    /// Whether `host` (lowercased, no brackets, no port) is one the API answers to.
    public func accepts(host: String) -> Bool {
        if Self.isLoopback(host) || allowedHosts.contains(host) { return true }
        guard allowRemote else { return false }
        switch boundHost {
        case nil, "0.0.0.0", "::", "":
            return Self.ipv4Octets(host) != nil || Self.ipv6Bytes(host) != nil
        case let bound?:
            return host == bound
        }
    }

    /// Refuses a Host this policy does not accept: 400 when it is missing, repeated or
    /// malformed, 403 when it names another machine.
    func checkHost(authority: String?, extraHostFields: Int) throws {
        guard extraHostFields == 0 else {
            throw APIError(.badRequest, code: "duplicate_host", "the request has more than one Host header")
        }
        guard let authority else {
            throw APIError(.badRequest, code: "host_required", "the Host header is required")
        }
        guard let parsed = Self.parseAuthority(authority) else {
            throw APIError(.badRequest, code: "invalid_host", "the Host header '\(authority)' is not a host[:port]")
        }
        guard accepts(host: parsed.host) else {
            throw APIError(
                .forbidden, code: "forbidden_host",
                "Host '\(authority)' is not this machine; the API answers loopback names only "
                    + "(DNS rebinding defence); add the name to the allowed_hosts setting to use it")
        }
    }

    /// Refuses a browser Origin other than the daemon's own: `http://` with an accepted host and
    /// the daemon's `port`. `null` (sandboxed frames, `file:` pages) is refused, and so is a
    /// loopback origin on another port: another local web app must not drive the API either.
    func checkOrigin(_ origin: String?, port: Int) throws {
        guard let origin else { return }
        let refused = APIError(
            .forbidden, code: "forbidden_origin",
            "Origin '\(origin)' is not allowed; only pages the daemon serves may call the API")
        let prefix = "http://"
        guard origin.lowercased().hasPrefix(prefix),
            let parsed = Self.parseAuthority(String(origin.dropFirst(prefix.count)))
        else { throw refused }
        guard accepts(host: parsed.host), (parsed.port ?? 80) == port else { throw refused }
    }

    /// `name`, `name:port`, `[v6]` or `[v6]:port`; nil when it is anything else (a path, user
    /// info, an empty or out-of-range port, characters no host name has).
    public static func parseAuthority(_ text: String) -> Authority? {
        let lowered = text.lowercased()
        let host: Substring
        let rest: Substring
        if lowered.hasPrefix("[") {
            guard let close = lowered.firstIndex(of: "]") else { return nil }
            host = lowered[lowered.index(after: lowered.startIndex)..<close]
            rest = lowered[lowered.index(after: close)...]
            guard ipv6Bytes(String(host)) != nil else { return nil }
        } else {
            let colon = lowered.firstIndex(of: ":") ?? lowered.endIndex
            host = lowered[..<colon]
            rest = lowered[colon...]
            let allowed = host.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                    true
                default: false
                }
            }
            guard allowed else { return nil }
        }
        guard !host.isEmpty else { return nil }
        if rest.isEmpty { return Authority(host: String(host), port: nil) }
        let digits = rest.dropFirst()
        guard rest.first == ":", (1...5).contains(digits.count), digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
            let port = Int(digits), (0...65535).contains(port)
        else { return nil }
        return Authority(host: String(host), port: port)
    }

    /// `localhost`, an IPv4 literal in 127.0.0.0/8, or the IPv6 loopback address (any spelling of
    /// `::1`). Not `*.localhost` and not `localhost.`: those go through the resolver.
    public static func isLoopback(_ host: String) -> Bool {
        let host = host.lowercased()
        if host == "localhost" { return true }
        if let octets = ipv4Octets(host) { return octets[0] == 127 }
        if let bytes = ipv6Bytes(host) { return bytes == [UInt8](repeating: 0, count: 15) + [1] }
        return false
    }

    /// The four octets of a dotted-decimal IPv4 literal written the canonical way (no leading
    /// zeros, no shortened forms, no hex), else nil.
    static func ipv4Octets(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                part.count == 1 || part.first != "0", let value = UInt8(part)
            else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// The 16 bytes of an IPv6 literal (without brackets), else nil.
    static func ipv6Bytes(_ text: String) -> [UInt8]? {
        guard text.contains(":"), !text.contains("%") else { return nil }
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }
}
