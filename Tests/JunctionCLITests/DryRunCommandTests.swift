import Foundation
import Testing

@Suite("junction dry-run")
struct DryRunCommandTests {
    let sandbox: CLISandbox
    let appRoot: String

    init() throws {
        sandbox = try CLISandbox()
        appRoot = sandbox.path("code/app")
        try FileManager.default.createDirectory(atPath: appRoot + "/src", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: appRoot + "/docs", withIntermediateDirectories: true)
        try sandbox.ok(["workspace", "add", "app", "--root", appRoot])
        try sandbox.ok(["server", "add", "github", "--", "github-mcp"])
        try sandbox.ok(["scope", "add", "work", "--server", "github", "--env", "TOKEN=s3cret"])
        try sandbox.ok([
            "route", "add", "--workspace", "app", "--tool", "github__*", "--policy", "approve", "--path", "src/**",
            "--scope", "work", "--name", "src-approve",
        ])
        try sandbox.ok([
            "route", "add", "--global", "--tool", "*__delete_*", "--policy", "deny", "--name", "no-deletes",
        ])
    }

    @Test("--json gives the documented object with decision, chain, rule, server, scope and trace")
    func jsonShape() throws {
        let decision = try sandbox.jsonObject([
            "dry-run", "--cwd", appRoot + "/src/lib", "github__create_issue", "--arguments", #"{"title": "x"}"#,
            "--json",
        ])
        for key in [
            "tool_name", "decision", "reason", "workspace", "chain", "matched_rule", "downstream", "auth_scope",
            "trace",
        ] {
            #expect(decision.keys.contains(key), "missing \(key)")
        }
        #expect(decision["tool_name"] as? String == "github__create_issue")
        #expect(decision["decision"] as? String == "approve")
        #expect((decision["workspace"] as? [String: Any])?["name"] as? String == "app")
        let chain = try #require(decision["chain"] as? [[String: Any]])
        #expect(chain.compactMap { $0["name"] as? String } == ["app", "global"])
        #expect(chain.first?["subpath"] as? String == "src/lib")
        #expect((decision["matched_rule"] as? [String: Any])?["name"] as? String == "src-approve")
        #expect((decision["downstream"] as? [String: Any])?["name"] as? String == "github")
        #expect((decision["auth_scope"] as? [String: Any])?["name"] as? String == "work")
        let trace = try #require(decision["trace"] as? [[String: Any]])
        #expect(trace.count == 2)
        #expect(trace.first?["matched"] as? Bool == true)
        #expect(trace.allSatisfy { $0["rule_id"] is String && $0["scope"] is String && $0["why"] is String })
        #expect(!(try sandbox.run(["dry-run", "--cwd", appRoot, "github__x", "--json"]).stdout.contains("s3cret")))
    }

    @Test("a path outside the rule's path glob falls through to the global deny, and the trace says why")
    func pathGlobAndGlobalDeny() throws {
        let docs = try sandbox.jsonObject(["dry-run", "--cwd", appRoot + "/docs", "github__delete_repo", "--json"])
        #expect(docs["decision"] as? String == "deny")
        #expect((docs["matched_rule"] as? [String: Any])?["name"] as? String == "no-deletes")
        let trace = try #require(docs["trace"] as? [[String: Any]])
        #expect((trace.first?["why"] as? String)?.contains("path glob 'src/**' does not match subpath 'docs'") == true)

        let human = try sandbox.ok(["dry-run", "--cwd", appRoot + "/docs", "github__list_repos"])
        #expect(human.contains("decision:   allow"))
        #expect(human.contains("no rule matched"))
    }

    @Test("a workspace named with --workspace is routed at its root")
    func namedWorkspace() throws {
        let decision = try sandbox.jsonObject(["dry-run", "--workspace", "app", "github__create_issue", "--json"])
        #expect(decision["decision"] as? String == "allow")
        #expect((decision["workspace"] as? [String: Any])?["name"] as? String == "app")
        try sandbox.fails(["dry-run", "--workspace", "nope", "github__x"], "workspace 'nope' not found")
    }

    @Test("a symlinked client folder routes as its target")
    func symlinkedCwd() throws {
        let link = sandbox.path("link-to-app")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: appRoot)
        let decision = try sandbox.jsonObject(["dry-run", "--cwd", link + "/src", "github__create_issue", "--json"])
        #expect(decision["decision"] as? String == "approve")
    }

    @Test("a namespace no server owns is reported as such, not guessed")
    func unknownNamespace() throws {
        let decision = try sandbox.jsonObject(["dry-run", "--cwd", appRoot, "gitlab__create_issue", "--json"])
        #expect(decision["decision"] as? String == "deny")
        #expect(decision["downstream"] is NSNull)
        #expect((decision["reason"] as? String)?.contains("no downstream owns namespace 'gitlab'") == true)
    }

    @Test("configuration written between two dry runs is seen by the second")
    func seesNewConfiguration() throws {
        let before = try sandbox.jsonObject(["dry-run", "--cwd", appRoot, "github__push", "--json"])
        #expect(before["decision"] as? String == "allow")
        try sandbox.ok(["route", "add", "--workspace", "app", "--tool", "github__push", "--policy", "deny"])
        let after = try sandbox.jsonObject(["dry-run", "--cwd", appRoot, "github__push", "--json"])
        #expect(after["decision"] as? String == "deny")
    }

    @Test("bad input is a one-line error")
    func badInput() throws {
        try sandbox.fails(
            ["dry-run", "--cwd", appRoot, "github__x", "--arguments", "[1,2]"], "--arguments must be a JSON object")
        try sandbox.fails(
            ["dry-run", "--cwd", appRoot, "github__x", "--arguments", "{nope"], "--arguments must be a JSON object")
    }
}
