import Testing

@testable import JunctionServer

@Suite("Host and Origin policy (DNS rebinding defence)")
struct HostPolicyTests {
    @Test("authorities parse with ports and IPv6 brackets, and nothing else")
    func authorities() {
        #expect(HostPolicy.parseAuthority("LocalHost:8080") == .init(host: "localhost", port: 8080))
        #expect(HostPolicy.parseAuthority("[::1]:8080") == .init(host: "::1", port: 8080))
        #expect(HostPolicy.parseAuthority("[::1]") == .init(host: "::1", port: nil))
        #expect(HostPolicy.parseAuthority("127.0.0.1") == .init(host: "127.0.0.1", port: nil))
        for malformed in [
            "", ":8080", "localhost:", "localhost:99999", "localhost:80a", "a:1:2", "::1", "[::1", "[nope]:80",
            "user@localhost", "localhost/path", "local host", "localhost:+80",
        ] {
            #expect(HostPolicy.parseAuthority(malformed) == nil, "\(malformed)")
        }
    }

    static let loopback = [
        "localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "127.255.255.255", "::1", "0:0:0:0:0:0:0:1",
    ]
    static let notLoopback = [
        "127.attacker.example", "127.0.0.1.nip.io", "127.0.0.1.", "app.localhost", "localhost.",
        "localhost.evil.example",
        "10.0.0.1", "128.0.0.1", "127.0.0.01", "0127.0.0.1", "127.1", "0x7f.0.0.1", "127.0.0.256", "::2", "::",
        "::ffff:10.0.0.1", "",
    ]

    @Test("loopback names are parsed literals, not prefixes", arguments: loopback)
    func loopbackNames(host: String) {
        #expect(HostPolicy.isLoopback(host))
    }

    @Test("names that only look like loopback are not", arguments: notLoopback)
    func impostors(host: String) {
        #expect(!HostPolicy.isLoopback(host))
    }

    @Test("allowed_hosts and, with --allow-remote, the bound host widen the set")
    func widening() {
        let local = HostPolicy()
        #expect(!local.accepts(host: "devbox.lan"))
        let listed = HostPolicy(allowedHosts: ["DevBox.lan", "10.0.0.5:8080", "[fe80::1]"])
        #expect(
            listed.accepts(host: "devbox.lan") && listed.accepts(host: "10.0.0.5") && listed.accepts(host: "fe80::1"))
        #expect(!listed.accepts(host: "other.lan"))
        let bound = HostPolicy(allowRemote: true, boundHost: "192.168.1.20")
        #expect(bound.accepts(host: "192.168.1.20") && !bound.accepts(host: "192.168.1.21"))
        #expect(!bound.accepts(host: "attacker.example"))
        // A wildcard bind: any address literal (those cannot be rebound), still no other name.
        let wildcard = HostPolicy(allowRemote: true, boundHost: "0.0.0.0")
        #expect(wildcard.accepts(host: "192.168.1.21") && wildcard.accepts(host: "fe80::1"))
        #expect(!wildcard.accepts(host: "attacker.example"))
        // Without --allow-remote the bound host adds nothing.
        #expect(!HostPolicy(allowRemote: false, boundHost: "192.168.1.20").accepts(host: "192.168.1.20"))
    }

    @Test("Host: missing or malformed is 400, repeated is 400, foreign is 403")
    func hostChecks() {
        let policy = HostPolicy()
        #expect(Self.code { try policy.checkHost(authority: "localhost:8080", extraHostFields: 0) } == nil)
        #expect(Self.code { try policy.checkHost(authority: "[::1]:1", extraHostFields: 0) } == nil)
        #expect(Self.code { try policy.checkHost(authority: nil, extraHostFields: 0) } == "host_required")
        #expect(Self.code { try policy.checkHost(authority: "a b", extraHostFields: 0) } == "invalid_host")
        #expect(Self.code { try policy.checkHost(authority: "localhost", extraHostFields: 1) } == "duplicate_host")
        #expect(
            Self.code { try policy.checkHost(authority: "127.attacker.example:8080", extraHostFields: 0) }
                == "forbidden_host")
    }

    @Test("Origin: only the daemon's own scheme, host and port")
    func originChecks() {
        let policy = HostPolicy(allowedHosts: ["devbox.lan"])
        for allowed in [
            nil, "http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080", "HTTP://LOCALHOST:8080",
            "http://devbox.lan:8080",
        ] as [String?] {
            #expect(Self.code { try policy.checkOrigin(allowed, port: 8080) } == nil, "\(allowed ?? "none")")
        }
        for refused in [
            "null", "http://localhost:3000", "http://localhost", "https://localhost:8080", "http://evil.example:8080",
            "http://127.attacker.example:8080", "http://localhost:8080/", "file://", "http://user@localhost:8080",
            "",
        ] {
            #expect(Self.code { try policy.checkOrigin(refused, port: 8080) } == "forbidden_origin", "\(refused)")
        }
        #expect(Self.code { try policy.checkOrigin("http://localhost", port: 80) } == nil)
    }

    static func code(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch let error as APIError {
            return error.code
        } catch {
            return "unexpected: \(error)"
        }
    }
}
