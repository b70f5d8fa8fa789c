import Foundation
import JunctionCore
import JunctionStore
import Testing

@Suite("WorkspaceRepository")
struct WorkspaceRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    @Test("a created workspace can be found by id and by name")
    func createAndLookUp() throws {
        let created = try store.workspaces.create(
            Workspace(name: "demo", rootPath: "/src/demo", defaultPolicy: .approve, tags: ["team": "core"]))

        let byId = try store.workspaces.get(created.id)
        let byName = try store.workspaces.get("demo")
        #expect(byId.id == created.id && byName.id == created.id)
        #expect(byName.name == "demo")
        #expect(byName.rootPath == "/src/demo")
        #expect(byName.defaultPolicy == .approve)
        #expect(byName.tags == ["team": "core"])
        #expect(try store.workspaces.find("nope") == nil)
    }

    @Test("getting an unknown workspace says how to list them")
    func unknownWorkspace() throws {
        let error = #expect(throws: StoreError.notFound(kind: "workspace", key: "nope")) {
            try store.workspaces.get("nope")
        }
        #expect(error?.description == "workspace 'nope' not found. List them: junction workspace list")
    }

    @Test("workspaces are listed by name")
    func listIsOrderedByName() throws {
        for name in ["zeta", "alpha", "Mid"] { try store.workspace(name) }
        #expect(try store.workspaces.list().map(\.name) == ["Mid", "alpha", "zeta"])
    }

    @Test("an update replaces the values and keeps the id")
    func update() throws {
        var workspace = try store.workspace("demo")
        workspace.name = "renamed"
        workspace.rootPath = "/src/elsewhere/"
        workspace.defaultPolicy = .deny
        let updated = try store.workspaces.update(workspace)

        #expect(updated.rootPath == "/src/elsewhere")
        let stored = try store.workspaces.get(workspace.id)
        #expect(stored.name == "renamed" && stored.defaultPolicy == .deny && stored.rootPath == "/src/elsewhere")
        #expect(try store.workspaces.find("demo") == nil)
    }

    @Test("updating a workspace that does not exist fails")
    func updateUnknown() throws {
        let ghost = Workspace(name: "ghost", rootPath: "/ghost")
        #expect(throws: StoreError.notFound(kind: "workspace", key: ghost.id)) { try store.workspaces.update(ghost) }
    }

    static let invalidNames = ["", String(repeating: "a", count: 65), "my workspace", "a/b", "café", "x:y", "tab\t"]

    @Test("invalid names are refused", arguments: invalidNames)
    func invalidName(name: String) throws {
        expectInvalid("name", "invalid workspace name", "1-64 characters") {
            try store.workspaces.create(Workspace(name: name, rootPath: "/w"))
        }
        #expect(try store.workspaces.list().isEmpty)
    }

    @Test("names of 1 and 64 characters from the allowed set are accepted")
    func boundaryNames() throws {
        try store.workspace("a", root: "/a")
        try store.workspace(String(repeating: "b", count: 64), root: "/b")
        try store.workspace("Az09._-", root: "/c")
        #expect(try store.workspaces.list().count == 3)
    }

    static let roots: [(String, String)] = [
        ("/a/./b/../c/", "/a/c"),
        ("//src//demo//", "/src/demo"),
        ("/", "/"),
        ("/a/..", "/"),
        ("/../../x", "/x"),
        ("/already/normal", "/already/normal"),
    ]

    @Test("roots are normalised before they are stored", arguments: roots)
    func rootNormalisation(given: String, stored: String) throws {
        let created = try store.workspaces.create(Workspace(name: "w", rootPath: given))
        #expect(created.rootPath == stored)
        #expect(try store.workspaces.get("w").rootPath == stored)
    }

    @Test("relative and empty roots are refused", arguments: ["src/demo", "./demo", "", "~/demo"])
    func relativeRoot(root: String) throws {
        expectInvalid("root_path", "invalid root path") {
            try store.workspaces.create(Workspace(name: "w", rootPath: root))
        }
    }

    @Test("a duplicate name is refused")
    func duplicateName() throws {
        try store.workspace("demo", root: "/one")
        let error = #expect(throws: StoreError.duplicate(kind: "workspace", field: "name", value: "demo")) {
            try store.workspaces.create(Workspace(name: "demo", rootPath: "/two"))
        }
        #expect(error?.description == "a workspace named 'demo' already exists")
    }

    @Test("a duplicate root is refused, also when it is only equal after normalisation")
    func duplicateRoot() throws {
        try store.workspace("one", root: "/a/c")
        let error = #expect(throws: StoreError.duplicate(kind: "workspace", field: "root", value: "/a/c")) {
            try store.workspaces.create(Workspace(name: "two", rootPath: "/a/b/../c/"))
        }
        #expect(error?.description == "a workspace with root '/a/c' already exists")
    }

    @Test("an update may keep its own name and root but not take another's")
    func updateUniqueness() throws {
        var one = try store.workspace("one", root: "/one")
        try store.workspace("two", root: "/two")
        one.defaultPolicy = .deny
        try store.workspaces.update(one)

        one.name = "two"
        #expect(throws: StoreError.duplicate(kind: "workspace", field: "name", value: "two")) {
            try store.workspaces.update(one)
        }
        one.name = "one"
        one.rootPath = "/two"
        #expect(throws: StoreError.duplicate(kind: "workspace", field: "root", value: "/two")) {
            try store.workspaces.update(one)
        }
    }

    @Test("an empty tag key is refused")
    func emptyTagKey() throws {
        expectInvalid("tags", "tag keys must not be empty") {
            try store.workspaces.create(Workspace(name: "w", rootPath: "/w", tags: ["": "x"]))
        }
    }

    @Test("deleting a workspace deletes its rules and leaves the others")
    func deleteCascadesRules() throws {
        let demo = try store.workspace("demo")
        let other = try store.workspace("other")
        try store.rule("a__*", workspace: demo)
        try store.rule("b__*", workspace: demo)
        try store.rule("c__*", workspace: other)
        try store.rule("d__*")

        let (deleted, rules) = try store.workspaces.delete("demo")

        #expect(deleted.id == demo.id)
        #expect(rules == 2)
        #expect(try store.workspaces.find("demo") == nil)
        #expect(try store.routes.list().map(\.toolPattern) == ["c__*", "d__*"])
    }

    @Test("a workspace can be deleted by id; deleting an unknown one fails")
    func deleteById() throws {
        let demo = try store.workspace("demo")
        #expect(try store.workspaces.delete(demo.id).deletedRules == 0)
        #expect(throws: StoreError.notFound(kind: "workspace", key: "demo")) { try store.workspaces.delete("demo") }
    }
}
