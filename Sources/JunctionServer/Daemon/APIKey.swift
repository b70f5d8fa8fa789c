import Crypto
import Foundation
import JunctionStore

/// The admin API's key: `JUNCTION_API_KEY` if set, else `$JUNCTION_HOME/api-key`, generated
/// (0600) on first start.
public enum APIKey {
    public static func load(
        home: JunctionHome, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StoreError) -> String {
        if let fromEnv = environment["JUNCTION_API_KEY"]?.trimmingCharacters(in: .whitespacesAndNewlines),
            !fromEnv.isEmpty
        {
            return fromEnv
        }
        if let stored = read(home) { return stored }
        try home.ensureExists()
        let fresh = "jct_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64URLEncoded
        switch PrivateFile.createExclusively(path: home.apiKeyPath, contents: fresh + "\n") {
        case .created:
            return fresh
        case .exists:
            guard let stored = read(home) else { throw .secretKey("cannot read \(home.apiKeyPath)") }
            return stored
        case .failed(let reason):
            throw .secretKey("cannot create \(home.apiKeyPath): \(reason)")
        }
    }

    private static func read(_ home: JunctionHome) -> String? {
        guard let text = try? String(contentsOfFile: home.apiKeyPath, encoding: .utf8) else { return nil }
        let key = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return key.isEmpty ? nil : key
    }
}

extension Data {
    /// Base64 without padding, `-` and `_` for `+` and `/`: safe in a URL query.
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
