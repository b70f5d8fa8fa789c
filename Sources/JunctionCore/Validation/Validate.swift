/// Validation rules shared by every way configuration comes in (CLI, REST, import).
public enum Validate {
    /// Names of workspaces, servers, rules and scopes: `[A-Za-z0-9._-]{1,64}`.
    public static func name(_ value: String, field: String = "name", kind: String) throws(ValidationError) {
        guard (1...64).contains(value.unicodeScalars.count),
            value.unicodeScalars.allSatisfy(isNameScalar)
        else {
            throw ValidationError(
                field: field,
                message: "invalid \(kind) name '\(value)': use 1-64 characters from A-Z a-z 0-9 . _ -"
            )
        }
    }

    /// Namespaces prefix client-visible tool names: `[a-z0-9-]{1,24}`.
    public static func namespace(_ value: String) throws(ValidationError) {
        guard (1...24).contains(value.unicodeScalars.count),
            value.unicodeScalars.allSatisfy(isNamespaceScalar)
        else {
            throw ValidationError(
                field: "namespace",
                message: "invalid namespace '\(value)': use 1-24 characters from a-z 0-9 -"
            )
        }
    }

    /// Environment variable and header names: a letter or `_`, then letters, digits, `_`, `-` or `.`.
    public static func variableName(_ value: String, field: String) throws(ValidationError) {
        let scalars = Array(value.unicodeScalars)
        guard let first = scalars.first, first == "_" || isLetter(first),
            scalars.allSatisfy(isNameScalar),
            scalars.count <= 256
        else {
            throw ValidationError(field: field, message: "invalid variable name '\(value)'")
        }
    }

    /// A value of a closed set, such as a policy: the message lists the accepted values.
    public static func oneOf<T: RawRepresentable & CaseIterable>(
        _ raw: String, as type: T.Type, field: String
    ) throws(ValidationError) -> T where T.RawValue == String {
        if let value = T(rawValue: raw) { return value }
        let accepted = T.allCases.map(\.rawValue).joined(separator: ", ")
        throw ValidationError(field: field, message: "invalid \(field) '\(raw)': expected one of \(accepted)")
    }

    /// Splits `KEY=VALUE`; the value may contain `=` and may be empty.
    public static func keyValue(_ pair: String, field: String) throws(ValidationError) -> (String, String) {
        guard let equals = pair.firstIndex(of: "=") else {
            throw ValidationError(field: field, message: "expected KEY=VALUE, got '\(pair)'")
        }
        guard equals != pair.startIndex else {
            // Never echo what follows '=': it may be a secret.
            throw ValidationError(field: field, message: "expected KEY=VALUE, got a value with no key")
        }
        return (String(pair[..<equals]), String(pair[pair.index(after: equals)...]))
    }

    private static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
        isLetter(scalar) || ("0"..."9").contains(scalar) || scalar == "." || scalar == "_" || scalar == "-"
    }

    private static func isNamespaceScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-"
    }
}
