/// Removes secrets from what Junction records (audit params, error messages), without I/O.
///
/// Two rules, applied together:
/// - **by key**: the value of any object member whose key looks secret (``defaultKeywords`` plus
///   the scope's redaction hints), at any depth and inside arrays, becomes `"[REDACTED]"` — whole,
///   whatever its type; `null` stays `null`. Keys are compared after decoding escapes, so
///   `"pass\u0077ord"` is `password`. See ``SecretKeyMatcher`` for how keys match;
/// - **by value**: every occurrence of a known secret value (4 characters or more) inside any
///   string, key or number is replaced by `[REDACTED]`, also in the middle of longer strings.
///
/// Everything else is copied byte for byte: whitespace, key order, escapes of untouched strings,
/// and number spellings (`1.0`, `1e3`, 30-digit integers). Input that is not JSON is redacted as
/// text, by value only.
public struct Redactor: Sendable, Hashable {
    /// What a redacted value or substring is replaced with.
    public static let placeholder = "[REDACTED]"

    /// Key words that always mark a secret member.
    public static var defaultKeywords: [String] { SecretKeyMatcher.defaultKeywords }

    /// Secret values shorter than this (in characters) are not searched for: they would match
    /// everywhere and hide ordinary text.
    public static let minimumSecretLength = 4

    static let placeholderBytes = Array(placeholder.utf8)
    static let placeholderJSON = Array("\"\(placeholder)\"".utf8)

    private let keys: SecretKeyMatcher
    /// Secret values as they appear in decoded strings.
    private let values: SecretValueMatcher
    /// Secret values as they may appear in raw text: as is, and as JSON string content.
    private let textValues: SecretValueMatcher

    /// - Parameters:
    ///   - secretValues: values to hide wherever they occur (a scope's secret env and headers).
    ///   - extraKeys: further key words whose members are hidden (the scope's redaction hints).
    public init(secretValues: [String], extraKeys: [String] = []) {
        let secrets = secretValues.filter { $0.count >= Self.minimumSecretLength }
        keys = SecretKeyMatcher(extraKeywords: extraKeys)
        values = SecretValueMatcher(secrets.map { Array($0.utf8) })
        textValues = SecretValueMatcher(
            secrets.flatMap { secret -> [[UInt8]] in
                let raw = Array(secret.utf8)
                let escaped = Array(JSONWriter.stringLiteral(utf8: raw).dropFirst().dropLast())
                return escaped == raw ? [raw] : [raw, escaped]
            })
    }

    /// Whether a member with this key has its value redacted.
    public func isSecretKey(_ key: String) -> Bool {
        keys.matches(key)
    }

    /// The JSON text with secrets redacted; valid JSON in, valid JSON out. Bytes that are not
    /// JSON come back redacted as text.
    public func redact<Bytes: Collection<UInt8>>(_ json: Bytes) -> [UInt8] {
        let result = json.withContiguousStorageIfAvailable { buffer in redactJSON(buffer) }
        return result ?? Array(json).withUnsafeBufferPointer { redactJSON($0) }
    }

    /// Free text (an error message, a stderr line) with every secret value replaced.
    public func redact(text: String) -> String {
        let bytes = Array(text.utf8)
        guard let replaced = textValues.replacingOccurrences(in: bytes, with: Self.placeholderBytes) else {
            return text
        }
        return String(decoding: replaced, as: UTF8.self)
    }

    private func redactJSON(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var scanner = RedactingJSONScanner(input: input, keys: keys, values: values)
        do {
            try scanner.document()
        } catch {
            return textValues.replacingOccurrences(in: input, with: Self.placeholderBytes) ?? Array(input)
        }
        guard !scanner.edits.isEmpty else { return Array(input) }
        var output: [UInt8] = []
        output.reserveCapacity(input.count)
        var copied = 0
        for edit in scanner.edits {
            output.append(contentsOf: input[copied..<edit.range.lowerBound])
            output.append(contentsOf: edit.replacement)
            copied = edit.range.upperBound
        }
        output.append(contentsOf: input[copied..<input.count])
        return output
    }
}
