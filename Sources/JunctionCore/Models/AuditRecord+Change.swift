import Foundation

extension AuditRecord {
    /// A record of a change (not a call): `method` says what happened (`server/created`,
    /// `server/quarantined`, `setting/updated`, …), `name` what it happened to (a server's or a
    /// setting's name), `details` the particulars, as JSON. Never a secret: callers pass names of
    /// fields and flags, not values of credentials.
    public static func change(
        _ kind: Kind, _ method: String, name: String, downstreamId: String? = nil, downstreamName: String? = nil,
        details: [String: JSONValue] = [:], at date: Date = Date()
    ) -> AuditRecord {
        let params =
            details.isEmpty
            ? nil
            : (try? JSONEncoder.sortedKeys.encode(JSONValue.object(details))).map {
                String(decoding: $0, as: UTF8.self)
            }
        return AuditRecord(
            kind: kind, createdAt: date, method: method, toolName: name, downstreamId: downstreamId,
            downstreamName: downstreamName, decision: .allow, status: .ok, params: params,
            paramsBytes: params?.utf8.count ?? 0)
    }
}

extension JSONEncoder {
    /// Keys sorted: the same value always gives the same text.
    fileprivate static var sortedKeys: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
