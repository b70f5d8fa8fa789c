import Foundation
import Testing

@Suite("junction scope")
struct ScopeCommandTests {
    let sandbox: CLISandbox

    init() throws {
        sandbox = try CLISandbox()
        try sandbox.ok(["server", "add", "gh", "--", "gh-mcp"])
    }

    static let secret = "ghp_CLI-S3CRET-never-printed-42"
    static let headerSecret = "Bearer hdr-S3CRET-never-printed-43"

    @Test("secrets given as KEY=VALUE or read from the environment never appear in output or the database")
    func secretsStaySealed() throws {
        let added = try sandbox.ok(
            [
                "scope", "add", "gh-work", "--server", "gh", "--env", "GITHUB_TOKEN", "ORG=acme", "--header",
                "AUTHORIZATION",
            ],
            env: ["GITHUB_TOKEN": Self.secret, "AUTHORIZATION": Self.headerSecret])
        #expect(added == "Added scope 'gh-work' for server 'gh' (sets GITHUB_TOKEN, ORG, AUTHORIZATION).\n")
        try sandbox.ok(["scope", "add", "gh-inline", "--server", "gh", "--env", "GITHUB_TOKEN=\(Self.secret)"])

        let listed = try sandbox.ok(["scope", "list"])
        #expect(listed.contains("gh-work") && listed.contains("GITHUB_TOKEN,ORG") && listed.contains("AUTHORIZATION"))
        let shown = try sandbox.ok(["scope", "show", "gh-work"])
        #expect(shown.contains("GITHUB_TOKEN=(set)") && shown.contains("AUTHORIZATION=(set)"))

        let json = try sandbox.jsonObject(["scope", "show", "gh-work", "--json"])
        #expect(json["env_vars"] as? [String: String] == ["GITHUB_TOKEN": "set", "ORG": "set"])
        #expect(json["headers"] as? [String: String] == ["AUTHORIZATION": "set"])
        #expect(json["env_keys"] as? [String] == ["GITHUB_TOKEN", "ORG"])
        let server = try sandbox.jsonObject(["server", "show", "gh", "--json"])
        #expect(json["server_id"] as? String == server["id"] as? String)
        #expect(try sandbox.jsonArray(["scope", "list", "--json"]).count == 2)

        try sandbox.ok(
            ["scope", "set", "gh-work", "--env", "GITHUB_TOKEN", "--unset", "ORG"], env: ["GITHUB_TOKEN": Self.secret])
        #expect(
            try sandbox.jsonObject(["scope", "show", "gh-work", "--json"])["env_keys"] as? [String] == ["GITHUB_TOKEN"])
        try sandbox.ok(["server", "show", "gh"])
        try sandbox.ok(["route", "add", "--global", "--tool", "gh__*", "--scope", "gh-work"])
        try sandbox.ok(["route", "list"])

        for result in sandbox.history.withLock({ $0 }) {
            #expect(!result.stdout.contains(Self.secret) && !result.stderr.contains(Self.secret))
            #expect(!result.stdout.contains(Self.headerSecret) && !result.stderr.contains(Self.headerSecret))
        }
        for suffix in ["", "-wal", "-shm"] where Files.exists(sandbox.databasePath + suffix) {
            let bytes = try Files.bytes(sandbox.databasePath + suffix)
            #expect(bytes.range(of: Data(Self.secret.utf8)) == nil, "secret in junction.db\(suffix)")
            #expect(bytes.range(of: Data("hdr-S3CRET".utf8)) == nil, "header secret in junction.db\(suffix)")
        }
        let keyPath = (sandbox.home as NSString).appendingPathComponent("secret.key")
        #expect(try Files.mode(keyPath) == 0o600)
    }

    @Test("a bare KEY missing from the environment fails with exit 1 and adds nothing")
    func missingEnvironmentVariable() throws {
        try sandbox.fails(
            ["scope", "add", "s", "--server", "gh", "--env", "JUNCTION_TEST_UNSET_TOKEN"],
            "environment variable JUNCTION_TEST_UNSET_TOKEN is not set", "--env JUNCTION_TEST_UNSET_TOKEN=VALUE")
        #expect(try sandbox.jsonArray(["scope", "list", "--json"]).isEmpty)
    }

    @Test("bad input: unknown server, bad key, duplicate name, bad JUNCTION_SECRET_KEY")
    func badInput() throws {
        try sandbox.fails(
            ["scope", "add", "s", "--server", "nope", "--env", "A=\(Self.secret)"], "server 'nope' not found")
        try sandbox.fails(
            ["scope", "add", "s", "--server", "gh", "--env", "1A=\(Self.secret)"], "invalid variable name '1A'")
        try sandbox.ok(["scope", "add", "s", "--server", "gh", "--env", "A=x"])
        try sandbox.fails(["scope", "add", "s", "--server", "gh", "--env", "A=x"], "a scope named 's' already exists")
        try sandbox.fails(
            ["scope", "add", "t", "--server", "gh", "--env", "A=x"],
            "JUNCTION_SECRET_KEY must be the base64 encoding of 32 bytes",
            env: ["JUNCTION_SECRET_KEY": "short"])
        try sandbox.fails(["scope", "show", "nope"], "scope 'nope' not found")
        for result in sandbox.history.withLock({ $0 }) {
            #expect(!result.stderr.contains(Self.secret))
        }
    }

    @Test("a scope used by a rule is removed only with --force")
    func removeInUse() throws {
        try sandbox.ok(["scope", "add", "gh-work", "--server", "gh", "--env", "A=x"])
        try sandbox.ok(["route", "add", "--global", "--tool", "gh__*", "--scope", "gh-work", "--name", "uses-it"])
        try sandbox.fails(["scope", "rm", "gh-work"], "scope 'gh-work' is used by route 'uses-it'", "--force")
        #expect(
            try sandbox.ok(["scope", "rm", "gh-work", "--force"]) == "Removed scope 'gh-work' and 1 route rule(s).\n")
        #expect(try sandbox.jsonArray(["route", "list", "--json"]).isEmpty)
    }

    @Test("secrets sealed under one key cannot be changed under another")
    func wrongKey() throws {
        let key = Data(repeating: 1, count: 32).base64EncodedString()
        let other = Data(repeating: 2, count: 32).base64EncodedString()
        try sandbox.ok(
            ["scope", "add", "s", "--server", "gh", "--env", "A=\(Self.secret)"], env: ["JUNCTION_SECRET_KEY": key])
        try sandbox.fails(
            ["scope", "set", "s", "--env", "B=y"], "is not the one they were sealed with",
            env: ["JUNCTION_SECRET_KEY": other])
        try sandbox.ok(["scope", "set", "s", "--env", "B=y"], env: ["JUNCTION_SECRET_KEY": key])
    }

    @Test("a value given without a key is refused without echoing the value")
    func valueWithoutKeyIsNotEchoed() throws {
        let line = try sandbox.fails(
            ["scope", "add", "w", "--server", "gh", "--env", "=hunter2"], "a value with no key")
        #expect(!line.contains("hunter2"))
    }
}
