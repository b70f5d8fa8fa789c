import JunctionCore

/// Keeps what an audit record stores of a call bounded: arguments of any size are recorded, but a
/// row holds at most a configured number of bytes of them (setting `audit_max_payload_bytes`).
enum AuditPayload {
    static let defaultMaxBytes = 64 * 1024
    /// The smallest limit honoured: room for the marker and a useful preview.
    static let minimumMaxBytes = 1024

    /// `json` when it fits in `limit` bytes; else a JSON object that says it was cut, how long it
    /// was, and shows its start: `{"_truncated":true,"original_bytes":N,"preview":"…"}`, itself at
    /// most `limit` bytes. Valid JSON either way, so readers parsing params keep working.
    static func capped(json: String, limit: Int) -> String {
        let bytes = Array(json.utf8)
        let limit = max(limit, minimumMaxBytes)
        guard bytes.count > limit else { return json }
        let head = #"{"_truncated":true,"original_bytes":\#(bytes.count),"preview":"#
        // Escaping at most doubles ordinary text; shrink again for text heavy in control bytes.
        var previewBytes = (limit - head.utf8.count - 1) / 2
        while previewBytes > 0 {
            let literal = RawJSON(string: String(decoding: prefix(bytes, upTo: previewBytes), as: UTF8.self))
            let marker = head + literal.description + "}"
            if marker.utf8.count <= limit { return marker }
            previewBytes /= 2
        }
        return head + #""""# + "}"
    }

    /// `text` when it fits in `limit` bytes; else its start and how much was cut.
    static func capped(text: String, limit: Int) -> String {
        let bytes = Array(text.utf8)
        let limit = max(limit, minimumMaxBytes)
        guard bytes.count > limit else { return text }
        let kept = String(decoding: prefix(bytes, upTo: limit - 64), as: UTF8.self)
        return kept + "… [cut: \(bytes.count) bytes in all]"
    }

    /// The first `count` bytes at most, not splitting a UTF-8 sequence.
    private static func prefix(_ bytes: [UInt8], upTo count: Int) -> ArraySlice<UInt8> {
        var end = min(count, bytes.count)
        // Back off continuation bytes (10xxxxxx) so the cut falls before a character.
        while end > 0, end < bytes.count, bytes[end] & 0xC0 == 0x80 { end -= 1 }
        return bytes[..<end]
    }
}
