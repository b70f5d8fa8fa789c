import Foundation
import JunctionCore
import JunctionStore
import Testing

@Suite("AuthScopeRepository")
struct AuthScopeRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
        try store.server("gh")
    }

    @Test("a scope is created for a server named by name or id and found by id or name")
    func createAndLookUp() throws {
        let gh = try store.downstreams.get("gh")
        let created = try store.scopes().create(
            name: "gh-work", server: "gh", secrets: .init(env: ["TOKEN": "t", "ORG": "o"], headers: ["X-Key": "k"]),
            redactionHints: ["password"])
        let byServerId = try store.scopes().create(name: "gh-home", server: gh.id, secrets: .init())

        #expect(created.downstreamId == gh.id && byServerId.downstreamId == gh.id)
        for key in [created.id, "gh-work"] {
            let stored = try store.scopes().get(key)
            #expect(stored.id == created.id && stored.name == "gh-work" && stored.kind == .env)
            #expect(stored.envKeys == ["ORG", "TOKEN"] && stored.headerKeys == ["X-Key"])
            #expect(stored.redactionHints == ["password"])
        }
        #expect(try store.scopes().find("nope") == nil)
        #expect(throws: StoreError.notFound(kind: "scope", key: "nope")) { try store.scopes().get("nope") }
    }

    @Test("scopes are listed by name, optionally for one server")
    func list() throws {
        let jira = try store.server("jira")
        try store.scope("b", server: "gh")
        try store.scope("a", server: "jira")
        try store.scope("c", server: "gh")
        #expect(try store.scopes().list().map(\.name) == ["a", "b", "c"])
        #expect(try store.scopes().list(downstreamId: jira.id).map(\.name) == ["a"])
    }

    @Test("an unknown server, an invalid name, a bad key and a duplicate name are refused")
    func validation() throws {
        #expect(throws: StoreError.notFound(kind: "server", key: "nope")) {
            try store.scopes().create(name: "s", server: "nope", secrets: .init())
        }
        expectInvalid("name", "invalid scope name") {
            try store.scopes().create(name: "bad name", server: "gh", secrets: .init())
        }
        expectInvalid("env_vars", "invalid variable name '1TOKEN'") {
            try store.scopes().create(name: "s", server: "gh", secrets: .init(env: ["1TOKEN": "x"]))
        }
        expectInvalid("headers", "invalid variable name 'X Key'") {
            try store.scopes().create(name: "s", server: "gh", secrets: .init(headers: ["X Key": "x"]))
        }
        try store.scope("s", server: "gh")
        #expect(throws: StoreError.duplicate(kind: "scope", field: "name", value: "s")) {
            try store.scope("s", server: "gh")
        }
        #expect(try store.scopes().list().map(\.name) == ["s"])
    }

    @Test("deleting a scope that a rule uses fails unless forced, which deletes the rule")
    func deleteInUse() throws {
        let scope = try store.scope("gh-work", server: "gh")
        let rule = try store.rule("gh__*", name: "uses-scope", scope: scope)
        try store.rule("gh__read", name: "unrelated")

        let error = #expect(
            throws: StoreError.inUse(kind: "scope", name: "gh-work", dependents: ["route 'uses-scope'"])
        ) {
            try store.scopes().delete("gh-work")
        }
        #expect(error?.description.contains("use --force") == true)
        #expect(try store.scopes().find("gh-work") != nil)

        let (deleted, rules) = try store.scopes().delete("gh-work", force: true)
        #expect(deleted.id == scope.id)
        #expect(rules.map(\.id) == [rule.id])
        #expect(try store.routes.list().compactMap(\.name) == ["unrelated"])
        #expect(try store.scopes().find("gh-work") == nil)
    }

    @Test("an unused scope is deleted by id; deleting an unknown one fails")
    func delete() throws {
        let scope = try store.scope("gh-work", server: "gh")
        #expect(try store.scopes(box: nil).delete(scope.id).deletedRules.isEmpty)
        #expect(throws: StoreError.notFound(kind: "scope", key: "gh-work")) { try store.scopes().delete("gh-work") }
    }

    @Test("deleting its server deletes the scope")
    func serverDeletionCascades() throws {
        try store.scope("gh-work", server: "gh")
        try store.downstreams.delete("gh")
        #expect(try store.scopes().list().isEmpty)
    }
}
