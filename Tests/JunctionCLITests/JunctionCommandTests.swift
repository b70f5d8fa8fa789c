import Foundation
import Testing

@Suite("junction (root command)")
struct JunctionCommandTests {
    let sandbox: CLISandbox

    init() throws {
        sandbox = try CLISandbox()
    }

    @Test("--version prints the version")
    func version() throws {
        let stdout = try sandbox.ok(["--version"])
        #expect(stdout == "0.1.0\n")
    }

    @Test("--help lists the commands and exits 0")
    func help() throws {
        let stdout = try sandbox.ok(["--help"])
        for command in ["workspace", "server", "route", "scope", "settings"] {
            #expect(stdout.contains(command))
        }
    }

    @Test("JUNCTION_HOME is created (0700) with a 0600 database on first use")
    func homeFromEnvironment() throws {
        try sandbox.ok(["workspace", "add", "demo", "--root", "/src/demo"])
        #expect(try Files.mode(sandbox.home) == 0o700)
        #expect(try Files.mode(sandbox.databasePath) == 0o600)
    }

    @Test("--home before or after the subcommand wins over JUNCTION_HOME")
    func homeOption() throws {
        let explicit = sandbox.path("explicit")
        let elsewhere = ["JUNCTION_HOME": sandbox.path("from-env")]
        try sandbox.ok(["--home", explicit, "workspace", "add", "one", "--root", "/one"], env: elsewhere)
        try sandbox.ok(["workspace", "add", "two", "--root", "/two", "--home", explicit], env: elsewhere)
        try sandbox.ok(["workspace", "add", "three", "--root", "/three", "--home=\(explicit)"], env: elsewhere)

        #expect(!Files.exists(sandbox.path("from-env")))
        let stdout = try sandbox.ok(["workspace", "list", "--home", explicit], setHome: false)
        for name in ["one", "two", "three"] { #expect(stdout.contains(name)) }
        #expect(try sandbox.ok(["--home", explicit, "workspace", "list", "--json"], setHome: false).contains("three"))
        #expect(Files.exists((explicit as NSString).appendingPathComponent("junction.db")))
    }

    @Test("--home after -- belongs to the server's command, not to junction")
    func homeAfterTerminator() throws {
        try sandbox.ok(["server", "add", "s", "--", "run-mcp", "--home", "/srv/x"])
        let server = try sandbox.jsonObject(["server", "show", "s", "--json"])
        #expect(server["args"] as? [String] == ["--home", "/srv/x"])
        #expect(!Files.exists("/srv/x/junction.db"))
    }

    @Test("a corrupt database file is refused with exit 1 and left unchanged")
    func corruptDatabase() throws {
        try FileManager.default.createDirectory(atPath: sandbox.home, withIntermediateDirectories: true)
        let garbage = Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 13) })
        try garbage.write(to: URL(fileURLWithPath: sandbox.databasePath))

        for arguments in [["workspace", "list"], ["workspace", "add", "w", "--root", "/w"], ["settings", "list"]] {
            try sandbox.fails(arguments, "is not a SQLite database", sandbox.databasePath, "untouched")
        }
        #expect(try Files.bytes(sandbox.databasePath) == garbage)
        #expect(!Files.exists(sandbox.databasePath + "-wal"))
        #expect(!Files.exists(sandbox.databasePath + "-shm"))
    }

    @Test("usage errors exit 1 without a crash")
    func usageErrors() throws {
        for arguments in [
            ["workspace", "add", "--root", "/x"], ["route", "add", "--tool", "*"], ["no-such-command"],
            ["server", "add", "s", "--url", "http://x", "--", "cmd"],
            ["workspace", "add", "w", "--root", "/w", "--default-policy", "maybe"],
        ] {
            let result = try sandbox.run(arguments)
            #expect(result.exitCode == 1, "\(arguments): \(result)")
            #expect(result.stdout.isEmpty)
            #expect(!result.stderr.isEmpty)
        }
    }
}
