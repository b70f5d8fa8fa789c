import Foundation
import JunctionCore
import Testing

@testable import JunctionStore

@Suite("ConfigRepository")
struct ConfigRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    var config: ConfigRepository { ConfigRepository(store.database) }

    /// Workspace web, servers gh (with scope gh-token) and fs, a named and an unnamed route.
    private func configure(_ target: TestStore) throws {
        let web = try target.workspace("web", policy: .deny)
        let gh = try target.server("gh")
        try target.server("fs")
        let scope = try target.scope("gh-token", server: "gh")
        try target.rule("gh__*", name: "gh-in-web", workspace: web, server: gh, scope: scope, priority: 5)
        try target.rule("fs__delete_*", policy: .deny)
        try target.settings.set("approval_timeout_sec", json: "60")
    }

    @Test("an exported document applied to an empty database makes the same configuration, and again changes nothing")
    func roundTrip() throws {
        try configure(store)
        let document = try config.export()
        #expect(document.authScopes?.first?.envKeys == ["TOKEN"])
        let exported = String(decoding: try JSONEncoder().encode(document), as: UTF8.self)
        #expect(!exported.contains(#""t""#), "a secret value leaked into \(exported)")

        let other = try TestStore()
        // Scopes are references: the target holds its own, with its own secret.
        try other.server("gh")
        try other.scope("gh-token", server: "gh", env: ["TOKEN": "other"])
        let changes = try ConfigRepository(other.database).apply(document)
        #expect(changes.contains { $0.description == "+ workspace web" })
        #expect(changes.contains { $0.description == "+ route gh-in-web" })
        #expect(try ConfigRepository(other.database).export() == document)
        #expect(try ConfigRepository(other.database).apply(document).isEmpty)
        #expect(try config.plan(document).isEmpty)
    }

    @Test("changes and deletions are listed before anything is written, and a dry run writes nothing")
    func diffAndDryRun() throws {
        try configure(store)
        var document = try config.export()
        document.servers = document.servers?.filter { $0.name != "fs" }
        document.routes = document.routes?.filter { $0.name != nil }
        document.workspaces?[0].defaultPolicy = .allow
        let generation = try store.database.generation()
        let planned = try config.apply(document, dryRun: true)
        #expect(
            planned.map(\.description) == [
                "- route fs__delete_* (deny, unnamed)", "- server fs",
                #"~ workspace web: default_policy "deny" → "allow""#,
            ])
        #expect(try store.database.generation() == generation)
        #expect(try store.downstreams.find("fs") != nil)
        var applied = AuditQuery()
        applied.kinds = [.configChange]
        #expect(
            try !store.audit.query(applied).contains { $0.method == "config/applied" }, "a dry run leaves no record")
        #expect(try config.apply(document) == planned)
        #expect(try store.downstreams.find("fs") == nil)
        #expect(try store.workspaces.get("web").defaultPolicy == .allow)
        let record = try #require(try store.audit.query(applied).first { $0.method == "config/applied" })
        #expect(
            JSONValue.parse(record.params)
                == .object([
                    "changes": .array([
                        .string("delete route fs__delete_* (deny, unnamed)"), .string("delete server fs"),
                        .string("update workspace web"),
                    ])
                ]))
    }

    @Test("an invalid document is refused whole: nothing it names is changed")
    func invalidRejected() throws {
        try configure(store)
        var document = try config.export()
        document.workspaces?.append(.init(name: "api", rootPath: "/projects/api"))
        document.routes?.append(.init(toolPattern: "x__*", server: "nope"))
        let before = try config.export()
        expectInvalid("server", "routes[2]", "'nope'") { try config.apply(document) }
        #expect(try config.export() == before)
        #expect(try store.workspaces.find("api") == nil)
    }

    @Test("documents name scopes but never make them, unknown keys and versions are refused")
    func refusals() throws {
        try configure(store)
        var document = try config.export()
        document.authScopes?.append(.init(name: "missing", server: "gh"))
        expectInvalid("auth_scopes[1]", "does not exist", "junction scope add missing") {
            try config.apply(document)
        }
        expectInvalid("servers[0].comand", "unknown key") {
            _ = try ConfigDocument.decode(json: Data(#"{"version":1,"servers":[{"name":"x","comand":"y"}]}"#.utf8))
        }
        expectInvalid("version", "unknown document version 2") {
            _ = try ConfigDocument.decode(json: Data(#"{"version":2}"#.utf8))
        }
        expectInvalid("servers", "has auth scopes", "gh-token") {
            try config.apply(ConfigDocument(servers: [], routes: []))
        }
    }
}
