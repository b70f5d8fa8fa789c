import Foundation
import Testing

/// The approval flow itself needs a running daemon: tests/e2e/test_approvals_cli.py covers it.
@Suite("junction approvals")
struct ApprovalsCommandTests {
    let sandbox: CLISandbox

    init() throws {
        sandbox = try CLISandbox()
    }

    @Test("without a daemon every subcommand says why it needs one and how to start it, and creates nothing")
    func noDaemon() throws {
        for arguments in [
            ["approvals", "list"], ["approvals", "list", "--status", "all", "--json"], ["approvals", "show", "A1"],
            ["approvals", "approve", "A1", "--note", "ok", "--remember", "workspace"],
            ["approvals", "deny", "A1", "--json"], ["approvals", "watch"], ["approvals", "watch", "--json"],
        ] {
            try sandbox.fails(
                arguments,
                "no Junction daemon is running for \(sandbox.home); parked calls live in the daemon: "
                    + "start it with junction serve")
        }
        #expect(!Files.exists(sandbox.home))
    }

    @Test("bad arguments are usage errors, before any daemon is asked")
    func usage() throws {
        let cases: [([String], String)] = [
            (["approvals", "list", "--status", "maybe"], "--status must be one of pending, approved, denied"),
            (["approvals", "list", "--limit", "0"], "--limit must be 1…1000"),
            (["approvals", "approve", "A1", "--remember", "forever"], "forever"),
            (["approvals", "approve", "A1", "--remember", "none"], "none"),
            (["approvals", "deny", "A1", "--remember", "session"], "--remember"),
            (["approvals", "approve"], "<id>"),
            (["approvals", "show"], "<id>"),
        ]
        for (arguments, fragment) in cases {
            let result = try sandbox.run(arguments)
            #expect(result.exitCode == 1, "\(arguments): \(result)")
            #expect(result.stdout.isEmpty, "\(arguments): \(result)")
            #expect(result.stderr.contains(fragment), "\(arguments): \(result)")
            #expect(!result.stderr.contains("no Junction daemon"), "\(arguments): \(result)")
        }
    }

    @Test("help lists the subcommands")
    func help() throws {
        let stdout = try sandbox.ok(["approvals", "--help"])
        for command in ["list", "show", "approve", "deny", "watch"] { #expect(stdout.contains(command)) }
        #expect(try sandbox.ok(["--help"]).contains("approvals"))
    }
}
