import Foundation
import Testing

@Suite("junction server quarantine and approve")
struct ServerQuarantineCommandTests {
    let sandbox: CLISandbox

    init() throws {
        sandbox = try CLISandbox()
    }

    @Test("with quarantine_new_servers on, an added server starts quarantined until approved")
    func quarantineNewServers() throws {
        try sandbox.ok(["settings", "set", "quarantine_new_servers", "true"])
        let added = try sandbox.ok(["server", "add", "fetch", "--", "fetch-mcp"])
        #expect(added.contains("quarantined") && added.contains("junction server approve fetch"), "\(added)")
        #expect(try sandbox.ok(["server", "list"]).contains("quarantined"))

        let dryRun = try sandbox.ok(["dry-run", "fetch__get"])
        #expect(dryRun.contains("decision:   deny"), "\(dryRun)")
        #expect(dryRun.contains("quarantined until its tools are reviewed"), "\(dryRun)")
        #expect(dryRun.contains("approve it with: junction server approve fetch"), "\(dryRun)")

        #expect(
            try sandbox.ok(["server", "approve", "fetch"])
                == "Server 'fetch' is approved; its tools appear as fetch__<tool>.\n")
        #expect(try sandbox.jsonObject(["server", "show", "fetch", "--json"])["quarantined"] as? Bool == false)
        #expect(try sandbox.ok(["dry-run", "fetch__get"]).contains("decision:   allow"))
    }

    @Test("quarantine hides a server again; an unknown server is a one-line error")
    func quarantine() throws {
        try sandbox.ok(["server", "add", "time", "--", "time-mcp"])
        #expect(
            try sandbox.ok(["server", "quarantine", "time"])
                == "Server 'time' is quarantined. Release it with: junction server approve time\n")
        #expect(try sandbox.jsonObject(["server", "show", "time", "--json"])["quarantined"] as? Bool == true)
        try sandbox.fails(["server", "approve", "nope"], "nope")
    }
}
