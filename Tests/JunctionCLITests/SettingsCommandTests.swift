import Foundation
import Testing

@Suite("junction settings")
struct SettingsCommandTests {
    let sandbox: CLISandbox

    init() throws {
        sandbox = try CLISandbox()
    }

    @Test("list shows every setting with its source; --json embeds values as JSON")
    func list() throws {
        let table = try sandbox.ok(["settings", "list"])
        #expect(table.hasPrefix("KEY"))
        for key in ["default_policy", "max_message_bytes", "log_level", "audit_retention_days", "approval_timeout_sec"]
        {
            #expect(table.contains(key))
        }
        let entries = try sandbox.jsonArray(["settings", "list", "--json"])
        let policy = try #require(entries.first { $0["key"] as? String == "default_policy" })
        #expect(policy["value"] as? String == "allow" && policy["is_default"] as? Bool == true)
        let bytes = try #require(entries.first { $0["key"] as? String == "max_message_bytes" })
        #expect(bytes["value"] as? Int == 67_108_864)
    }

    @Test("get, set (bare words are strings, numbers are JSON) and reset")
    func getSetReset() throws {
        #expect(try sandbox.ok(["settings", "get", "default_policy"]) == "\"allow\"\n")
        #expect(try sandbox.ok(["settings", "set", "default_policy", "deny"]) == "default_policy = \"deny\"\n")
        #expect(try sandbox.ok(["settings", "get", "default_policy"]) == "\"deny\"\n")
        #expect(try sandbox.ok(["settings", "set", "max_message_bytes", "2048"]) == "max_message_bytes = 2048\n")
        #expect(try sandbox.ok(["settings", "set", "audit_retention_days", "--", "0"]) == "audit_retention_days = 0\n")

        let entries = try sandbox.jsonArray(["settings", "list", "--json"])
        let policy = try #require(entries.first { $0["key"] as? String == "default_policy" })
        #expect(policy["value"] as? String == "deny" && policy["is_default"] as? Bool == false)

        #expect(try sandbox.ok(["settings", "reset", "default_policy"]) == "default_policy = \"allow\" (default)\n")
        #expect(try sandbox.ok(["settings", "get", "default_policy"]) == "\"allow\"\n")
    }

    @Test("bad input: unknown key lists the known ones, wrong types and ranges are refused")
    func badInput() throws {
        try sandbox.fails(
            ["settings", "get", "nope"], "unknown setting 'nope'; known settings: default_policy, max_message_bytes")
        try sandbox.fails(["settings", "set", "nope", "1"], "unknown setting 'nope'")
        try sandbox.fails(["settings", "set", "default_policy", "maybe"], "must be one of allow, deny, approve")
        try sandbox.fails(["settings", "set", "max_message_bytes", "big"], "must be an integer of at least 1024")
        try sandbox.fails(["settings", "set", "max_message_bytes", "1.5"], "must be an integer")
        try sandbox.fails(["settings", "set", "audit_retention_days", "--", "-1"], "must be an integer of 0 or more")
        #expect(try sandbox.ok(["settings", "get", "max_message_bytes"]) == "67108864\n")
    }
}
