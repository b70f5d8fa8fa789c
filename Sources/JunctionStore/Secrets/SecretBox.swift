import Crypto
import Foundation

/// Seals secrets at rest with AES-256-GCM.
///
/// The key comes from `JUNCTION_SECRET_KEY` (base64 of 32 bytes) or `$JUNCTION_HOME/secret.key`
/// (the same base64 text, created 0600 on first use). Each sealed value is bound to a context
/// string (such as `auth_scopes/<id>/env`) as authenticated data, so a blob copied onto another
/// row does not open. Opening with the wrong key fails with a clear error, never garbage.
public struct SecretBox: Sendable {
    /// The raw key bytes: `SymmetricKey` is not `Sendable` in this swift-crypto, plain bytes are.
    private let keyBytes: [UInt8]

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Format marker and version of sealed blobs: "J1" then nonce, ciphertext and tag.
    private static let header = Array("J1".utf8)

    public init(key: SymmetricKey) {
        self.keyBytes = key.withUnsafeBytes { Array($0) }
    }

    /// Decodes a base64 key of exactly 256 bits.
    public init(base64Key: String, origin: String) throws(StoreError) {
        let trimmed = base64Key.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let data = Data(base64Encoded: trimmed), data.count == 32 else {
            throw .secretKey(
                "\(origin) must be the base64 encoding of 32 bytes (generate one with: openssl rand -base64 32)")
        }
        self.init(key: SymmetricKey(data: data))
    }

    /// Loads the key from the environment, else from the home's `secret.key`, creating that file
    /// with a fresh random key on first use.
    public static func load(
        home: JunctionHome,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StoreError) -> SecretBox {
        if let fromEnv = environment["JUNCTION_SECRET_KEY"], !fromEnv.isEmpty {
            return try SecretBox(base64Key: fromEnv, origin: "JUNCTION_SECRET_KEY")
        }
        let path = home.secretKeyPath
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            return try SecretBox(base64Key: text, origin: path)
        }
        try home.ensureExists()
        let fresh = SymmetricKey(size: .bits256)
        let encoded = fresh.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        switch PrivateFile.createExclusively(path: path, contents: encoded) {
        case .created:
            return SecretBox(key: fresh)
        case .exists:
            // Another process created it between our read and our create: use theirs.
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw .secretKey("cannot read \(path)")
            }
            return try SecretBox(base64Key: text, origin: path)
        case .failed(let reason):
            throw .secretKey("cannot create \(path): \(reason)")
        }
    }

    public func seal(_ plaintext: Data, context: String) throws(StoreError) -> Data {
        do {
            let box = try AES.GCM.seal(plaintext, using: key, authenticating: Data(context.utf8))
            guard let combined = box.combined else { throw StoreError.secretKey("AES-GCM produced no output") }
            return Data(Self.header) + combined
        } catch {
            throw StoreError.secretKey("cannot seal secret: \(error)")
        }
    }

    public func open(_ sealed: Data, context: String) throws(StoreError) -> Data {
        guard sealed.count > Self.header.count, Array(sealed.prefix(Self.header.count)) == Self.header else {
            throw .secretMismatch("sealed secret for \(context) is damaged or in an unknown format")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed.dropFirst(Self.header.count))
            return try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
        } catch {
            throw .secretMismatch(
                "cannot open the secrets of \(context): the secret key (JUNCTION_SECRET_KEY or secret.key) "
                    + "is not the one they were sealed with"
            )
        }
    }

    /// Seals a JSON-encodable value.
    public func sealJSON<T: Encodable>(_ value: T, context: String) throws(StoreError) -> Data {
        let data: Data
        do {
            data = try JSONEncoder().encode(value)
        } catch {
            throw .secretKey("cannot encode secret: \(error)")
        }
        return try seal(data, context: context)
    }

    public func openJSON<T: Decodable>(_ type: T.Type, from sealed: Data, context: String) throws(StoreError) -> T {
        let data = try open(sealed, context: context)
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw .secretMismatch("sealed secret for \(context) does not hold the expected value")
        }
    }
}
