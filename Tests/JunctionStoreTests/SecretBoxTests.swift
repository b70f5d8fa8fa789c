import Crypto
import Foundation
import GRDB
import JunctionCore
import JunctionStore
import Testing

@Suite("SecretBox and sealed auth scopes")
struct SecretBoxTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    var home: JunctionHome { JunctionHome(path: directory.file("home")) }

    static func randomKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    static let secret = "ghp_S3CR3T-value-0f-a-t0ken"

    // MARK: SecretBox

    @Test("sealed data opens again with the same key and context")
    func roundTrip() throws {
        let box = try SecretBox(base64Key: Self.randomKey(), origin: "test")
        let sealed = try box.seal(Data(Self.secret.utf8), context: "auth_scopes/1/env")
        #expect(sealed.range(of: Data(Self.secret.utf8)) == nil)
        #expect(try box.open(sealed, context: "auth_scopes/1/env") == Data(Self.secret.utf8))

        let json = try box.sealJSON(["TOKEN": Self.secret], context: "c")
        #expect(try box.openJSON([String: String].self, from: json, context: "c") == ["TOKEN": Self.secret])
    }

    @Test("sealing the same value twice gives different blobs (fresh nonces)")
    func freshNonces() throws {
        let box = try SecretBox(base64Key: Self.randomKey(), origin: "test")
        #expect(try box.seal(Data("x".utf8), context: "c") != box.seal(Data("x".utf8), context: "c"))
    }

    @Test("opening with the wrong key fails with .secretMismatch and a clear message, never garbage")
    func wrongKey() throws {
        let sealed = try SecretBox(base64Key: Self.randomKey(), origin: "a").seal(Data("x".utf8), context: "c")
        let other = try SecretBox(base64Key: Self.randomKey(), origin: "b")
        let error = #expect(throws: StoreError.self) { try other.open(sealed, context: "c") }
        guard case .secretMismatch(let message)? = error else {
            Issue.record("expected .secretMismatch, got \(String(describing: error))")
            return
        }
        #expect(message.contains("secret key") && message.contains("not the one they were sealed with"))
    }

    @Test("a tampered, truncated or foreign blob is refused with .secretMismatch")
    func tamperedBlob() throws {
        let box = try SecretBox(base64Key: Self.randomKey(), origin: "test")
        let sealed = try box.seal(Data(Self.secret.utf8), context: "c")
        var flippedCiphertext = sealed
        flippedCiphertext[flippedCiphertext.startIndex + 20] ^= 0x01
        var flippedTag = sealed
        flippedTag[flippedTag.endIndex - 1] ^= 0x80
        let candidates: [Data] = [
            flippedCiphertext, flippedTag, sealed.dropLast(), Data(sealed.prefix(10)), Data("J1".utf8), Data(),
            Data("XX".utf8) + sealed.dropFirst(2),
        ]
        for blob in candidates {
            let error = #expect(throws: StoreError.self) { try box.open(blob, context: "c") }
            if case .secretMismatch = error {
            } else {
                Issue.record("expected .secretMismatch, got \(String(describing: error))")
            }
        }
    }

    @Test("a blob does not open under another context")
    func otherContext() throws {
        let box = try SecretBox(base64Key: Self.randomKey(), origin: "test")
        let sealed = try box.seal(Data("x".utf8), context: "auth_scopes/A/env")
        #expect(throws: StoreError.self) { try box.open(sealed, context: "auth_scopes/B/env") }
        #expect(throws: StoreError.self) { try box.open(sealed, context: "auth_scopes/A/headers") }
    }

    // MARK: Loading the key

    @Test("JUNCTION_SECRET_KEY is used when set, and no secret.key is written")
    func keyFromEnvironment() throws {
        let key = Self.randomKey()
        let loaded = try SecretBox.load(home: home, environment: ["JUNCTION_SECRET_KEY": key])
        let sealed = try loaded.seal(Data("x".utf8), context: "c")
        #expect(try SecretBox(base64Key: key, origin: "same").open(sealed, context: "c") == Data("x".utf8))
        #expect(!FileManager.default.fileExists(atPath: home.secretKeyPath))
    }

    static let badKeys = [
        "not base64 at all!",
        Data(repeating: 1, count: 16).base64EncodedString(),
        Data(repeating: 1, count: 33).base64EncodedString(),
        "AAAA",
    ]

    @Test("a JUNCTION_SECRET_KEY that is not base64 of 32 bytes is refused with .secretKey", arguments: badKeys)
    func badEnvironmentKey(key: String) throws {
        let error = #expect(throws: StoreError.self) {
            try SecretBox.load(home: home, environment: ["JUNCTION_SECRET_KEY": key])
        }
        guard case .secretKey(let message)? = error else {
            Issue.record("expected .secretKey, got \(String(describing: error))")
            return
        }
        #expect(message.contains("JUNCTION_SECRET_KEY must be the base64 encoding of 32 bytes"))
        #expect(!FileManager.default.fileExists(atPath: home.secretKeyPath))
    }

    @Test("secret.key is created 0600 on first load and reused on the next")
    func keyFile() throws {
        let first = try SecretBox.load(home: home, environment: [:])
        #expect(try Files.mode(home.secretKeyPath) == 0o600)
        #expect(try Files.mode(home.path) == 0o700)
        let text = try String(contentsOfFile: home.secretKeyPath, encoding: .utf8)
        #expect(Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines))?.count == 32)

        let sealed = try first.seal(Data("x".utf8), context: "c")
        let second = try SecretBox.load(home: home, environment: ["JUNCTION_SECRET_KEY": ""])
        #expect(try second.open(sealed, context: "c") == Data("x".utf8))
        #expect(try String(contentsOfFile: home.secretKeyPath, encoding: .utf8) == text)
    }

    @Test("a damaged secret.key is refused with .secretKey naming the file")
    func damagedKeyFile() throws {
        try home.ensureExists()
        try Files.write(Data("garbage".utf8), to: home.secretKeyPath)
        let error = #expect(throws: StoreError.self) { try SecretBox.load(home: home, environment: [:]) }
        #expect(error?.description.contains(home.secretKeyPath) == true)
        if case .secretKey = error {} else { Issue.record("expected .secretKey, got \(String(describing: error))") }
    }

    // MARK: Sealed scopes in the database

    @Test("scope secrets are stored sealed: neither the column nor the database files hold the plaintext")
    func secretsAreSealedAtRest() throws {
        let store = try TestStore()
        try store.server("gh")
        let scope = try store.scopes().create(
            name: "gh-work", server: "gh",
            secrets: .init(env: ["GITHUB_TOKEN": Self.secret], headers: ["X-Key": Self.secret]))

        let (env, headers) = try store.database.reader.read { db in
            let row = try #require(
                try Row.fetchOne(db, sql: "SELECT * FROM auth_scopes WHERE id = ?", arguments: [scope.id]))
            return (row["env_sealed"] as Data?, row["headers_sealed"] as Data?)
        }
        let needle = Data(Self.secret.utf8)
        #expect(try #require(env).range(of: needle) == nil)
        #expect(try #require(headers).range(of: needle) == nil)
        #expect(try !Files.databaseFilesContain(Self.secret, databasePath: store.path))
        try store.close()
        #expect(try !Files.databaseFilesContain(Self.secret, databasePath: store.path))
        #expect(try Files.bytes(store.path).range(of: Data("GITHUB_TOKEN".utf8)) != nil, "key names are not secret")
    }

    @Test("secrets(of:) returns the values; list, get and JSON expose only the key names")
    func secretsAndKeyNames() throws {
        let store = try TestStore()
        try store.server("gh")
        try store.scopes().create(
            name: "gh-work", server: "gh", secrets: .init(env: ["GITHUB_TOKEN": Self.secret], headers: ["X-Key": "h"]))

        #expect(
            try store.scopes().secrets(of: "gh-work")
                == .init(env: ["GITHUB_TOKEN": Self.secret], headers: ["X-Key": "h"]))
        let scope = try store.scopes().get("gh-work")
        #expect(scope.envKeys == ["GITHUB_TOKEN"] && scope.headerKeys == ["X-Key"])
        #expect(try store.scopes().list().map(\.envKeys) == [["GITHUB_TOKEN"]])

        let json = String(decoding: try JSONEncoder().encode(scope), as: UTF8.self)
        #expect(!json.contains(Self.secret))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["env_vars"] as? [String: String] == ["GITHUB_TOKEN": "set"])
        #expect(object["headers"] as? [String: String] == ["X-Key": "set"])
    }

    @Test("updateSecrets adds, replaces and removes keys")
    func updateSecrets() throws {
        let store = try TestStore()
        try store.server("gh")
        try store.scopes().create(
            name: "s", server: "gh", secrets: .init(env: ["A": "1", "B": "2"], headers: ["H": "h"]))

        let updated = try store.scopes().updateSecrets(
            "s", set: .init(env: ["B": "22", "C": "3"]), removing: ["A", "H"])

        #expect(updated.envKeys == ["B", "C"] && updated.headerKeys.isEmpty)
        #expect(try store.scopes().secrets(of: "s") == .init(env: ["B": "22", "C": "3"]))
        #expect(try store.scopes().get("s").envKeys == ["B", "C"])
        expectInvalid("env_vars", "invalid variable name") {
            try store.scopes().updateSecrets("s", set: .init(env: ["9": "x"]))
        }
        #expect(throws: StoreError.notFound(kind: "scope", key: "nope")) {
            try store.scopes().updateSecrets("nope", set: .init())
        }
    }

    @Test("a repository with a different key cannot read the secrets: an error, not garbage")
    func differentKey() throws {
        let store = try TestStore()
        try store.server("gh")
        try store.scope("s", server: "gh", env: ["TOKEN": Self.secret])

        let otherBox = try SecretBox(base64Key: Self.randomKey(), origin: "other")
        let error = #expect(throws: StoreError.self) { try store.scopes(box: otherBox).secrets(of: "s") }
        if case .secretMismatch = error {
        } else {
            Issue.record("expected .secretMismatch, got \(String(describing: error))")
        }
        #expect(throws: StoreError.self) {
            try store.scopes(box: otherBox).updateSecrets("s", set: .init(env: ["X": "y"]))
        }
        #expect(try store.scopes().secrets(of: "s").env == ["TOKEN": Self.secret])

        let noKey = #expect(throws: StoreError.self) { try store.scopes(box: nil).secrets(of: "s") }
        if case .secretKey = noKey {} else { Issue.record("expected .secretKey, got \(String(describing: noKey))") }
        #expect(try store.scopes(box: nil).get("s").envKeys == ["TOKEN"])
    }

    @Test("a sealed blob copied onto another scope's row does not open there")
    func blobMovedToAnotherScope() throws {
        let store = try TestStore()
        try store.server("gh")
        let a = try store.scope("a", server: "gh", env: ["TOKEN": Self.secret])
        let b = try store.scope("b", server: "gh", env: ["TOKEN": "other"])
        try store.database.writer.write { db in
            try db.execute(
                sql:
                    "UPDATE auth_scopes SET env_sealed = (SELECT env_sealed FROM auth_scopes WHERE id = ?) WHERE id = ?",
                arguments: [a.id, b.id])
        }
        let error = #expect(throws: StoreError.self) { try store.scopes().secrets(of: "b") }
        if case .secretMismatch = error {
        } else {
            Issue.record("expected .secretMismatch, got \(String(describing: error))")
        }
        #expect(try store.scopes().secrets(of: "a").env == ["TOKEN": Self.secret])
    }
}
