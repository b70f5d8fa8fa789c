import Foundation
import JunctionCore
import JunctionStore
import Testing

@Suite("ClientKeyRepository")
struct ClientKeyRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    var keys: ClientKeyRepository { ClientKeyRepository(store.database) }

    @Test("a key is shown once and stored only as its SHA-256; presenting it finds the key")
    func createAndMatch() throws {
        let made = try keys.create(name: "alice")
        #expect(made.secret.hasPrefix("jck_") && made.secret.count > 40)
        #expect(made.key.keyHash == ClientKeyRepository.hash(made.secret) && made.key.keyHash.count == 64)
        #expect(made.key.keyHash != made.secret && !made.key.keyHash.contains(made.secret))
        #expect(try keys.match(presented: made.secret)?.name == "alice")
        #expect(try keys.match(presented: made.secret + "x") == nil)
        let other = try keys.create(name: "bob")
        #expect(other.secret != made.secret)
    }

    @Test("a key may be bound to a workspace; an unknown one, or a taken name, is refused")
    func workspaceAndNames() throws {
        let workspace = try store.workspaces.create(Workspace(name: "shop", rootPath: "/src/shop"))
        let made = try keys.create(name: "ci", workspace: "shop")
        #expect(made.key.workspaceId == workspace.id)
        #expect(throws: StoreError.self) { try keys.create(name: "ci") }
        #expect(throws: StoreError.self) { try keys.create(name: "x", workspace: "nope") }
        #expect(throws: StoreError.self) { try keys.create(name: "bad name") }
    }

    @Test("revoking deletes the key: presenting it finds nothing")
    func revoke() throws {
        let made = try keys.create(name: "temp")
        try keys.revoke("temp")
        #expect(try keys.match(presented: made.secret) == nil)
        #expect(try keys.list().isEmpty)
        #expect(throws: StoreError.self) { try keys.revoke("temp") }
    }
}
