/// One spelling per JSON value, for cache keys: the same arguments written with different key
/// order or whitespace give the same string.
///
/// - objects: members sorted by key, compared as UTF-16 code units (RFC 8785 order); duplicate
///   keys are an error, since which one a downstream would use is unknowable;
/// - no insignificant whitespace;
/// - strings: escapes decoded, then re-escaped minimally: `\"`, `\\`, `\b \f \n \r \t`, other
///   control characters as `\u00xx`; everything else (including `/` and non-ASCII) verbatim;
/// - numbers: validated against the JSON grammar and kept exactly as written (no round trip
///   through `Double`), so big integers survive; `1` and `1.0` stay different keys;
/// - `true`, `false`, `null` as is.
///
/// Nesting deeper than ``maximumDepth`` is rejected rather than risking the stack.
public enum CanonicalJSON {
    /// Deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 512

    /// Canonical form of a UTF-8 JSON text.
    public static func canonicalize<Bytes: Collection<UInt8>>(_ bytes: Bytes) throws(CanonicalJSONError) -> String {
        let result: Result<String, CanonicalJSONError>? = bytes.withContiguousStorageIfAvailable { buffer in
            run(buffer)
        }
        switch result ?? Array(bytes).withUnsafeBufferPointer({ run($0) }) {
        case .success(let text): return text
        case .failure(let error): throw error
        }
    }

    /// Canonical form of a JSON text.
    public static func canonicalize(_ text: String) throws(CanonicalJSONError) -> String {
        try canonicalize(Array(text.utf8))
    }

    private static func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<String, CanonicalJSONError> {
        var parser = CanonicalJSONParser(input: buffer)
        do {
            try parser.document()
            return .success(String(decoding: parser.output, as: UTF8.self))
        } catch {
            return .failure(error)
        }
    }
}
