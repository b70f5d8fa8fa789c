import Crypto
import Foundation
import JunctionCore

/// What Junction keeps in the `requestState` it hands a modern client with an
/// `InputRequiredResult`, so the retry finds its way back: the request it belongs to, the server
/// that asked, that server's own state (passed back untouched), whether the call was already
/// approved, and (for a handshake-era server waiting on its own request) the parked exchange.
struct ResumeState: Sendable, Equatable {
    var method: String
    /// The tool or prompt name, or the resource URI, the request was for.
    var subject: String
    var downstreamId: String
    var serverState: String?
    var approved: Bool
    var exchangeId: String?
}

/// Seals `ResumeState` for the client with an HMAC: the client must not be able to steer a retry
/// to another server, skip an approval, or take over another request's exchange. The key lives
/// as long as the engine; a state older than `lifetime` is refused.
struct RequestStateSeal: Sendable {
    private let keyBytes: [UInt8]
    let lifetime: Duration

    init(key: SymmetricKey = SymmetricKey(size: .bits256), lifetime: Duration = .seconds(3600)) {
        self.keyBytes = key.withUnsafeBytes { Array($0) }
        self.lifetime = lifetime
    }

    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    func seal(_ state: ResumeState, now: Date = Date()) -> String {
        var members: [(key: String, value: RawJSON)] = [
            ("m", RawJSON(string: state.method)), ("n", RawJSON(string: state.subject)),
            ("d", RawJSON(string: state.downstreamId)), ("a", state.approved ? .true : .false),
            ("e", RawJSON(integer: Int(now.timeIntervalSince1970) + Int(lifetime.components.seconds))),
        ]
        if let serverState = state.serverState { members.append(("s", RawJSON(string: serverState))) }
        if let exchangeId = state.exchangeId { members.append(("x", RawJSON(string: exchangeId))) }
        let payload = RawJSON(object: members).bytes
        let mac = HMAC<SHA256>.authenticationCode(for: payload, using: key)
        return "j1." + Self.base64URL(Data(payload)) + "." + Self.base64URL(Data(mac))
    }

    /// The state a client echoed, if Junction sealed it, it is intact, and it has not expired.
    func open(_ text: String, now: Date = Date()) -> ResumeState? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "j1", let payload = Self.data(base64URL: parts[1]),
            let mac = Self.data(base64URL: parts[2]),
            HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: payload, using: key),
            let json = try? RawJSON(validating: Array(payload)),
            let method = json["m"]?.stringValue, let subject = json["n"]?.stringValue,
            let downstreamId = json["d"]?.stringValue, let expiry = json["e"]?.intValue,
            expiry >= Int(now.timeIntervalSince1970)
        else { return nil }
        return ResumeState(
            method: method, subject: subject, downstreamId: downstreamId, serverState: json["s"]?.stringValue,
            approved: json["a"]?.boolValue == true, exchangeId: json["x"]?.stringValue)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64URL text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
