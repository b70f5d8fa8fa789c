/// A parsed `WWW-Authenticate` header (RFC 9110 §11.6.1): one or more challenges, each a scheme
/// with parameters (`Bearer resource_metadata="…", scope="…", error="invalid_token"`).
public struct WWWAuthenticate: Sendable, Equatable {
    public struct Challenge: Sendable, Equatable {
        /// Lowercased (`bearer`).
        public var scheme: String
        /// Parameter names lowercased, values unquoted.
        public var parameters: [String: String]
    }

    public var challenges: [Challenge]

    public init(parsing header: String) {
        challenges = Self.parse(Array(header.unicodeScalars))
    }

    /// The Bearer challenge, when there is one.
    public var bearer: Challenge? { challenges.first { $0.scheme == "bearer" } }

    /// The protected resource metadata URL (RFC 9728 §5.1).
    public var resourceMetadata: String? { bearer?.parameters["resource_metadata"] }
    /// The scopes the server asks for, space-separated.
    public var scope: String? { bearer?.parameters["scope"] }
    public var error: String? { bearer?.parameters["error"] }
    public var errorDescription: String? { bearer?.parameters["error_description"] }

    private static func parse(_ text: [Unicode.Scalar]) -> [Challenge] {
        var challenges: [Challenge] = []
        var index = 0
        func skip(_ characters: Set<Unicode.Scalar>) {
            while index < text.count, characters.contains(text[index]) { index += 1 }
        }
        func token() -> String {
            let start = index
            while index < text.count, !" \t,=\"".unicodeScalars.contains(text[index]) { index += 1 }
            return String(String.UnicodeScalarView(text[start..<index]))
        }
        func quoted() -> String {
            var value = String.UnicodeScalarView()
            index += 1
            while index < text.count, text[index] != "\"" {
                if text[index] == "\\", index + 1 < text.count { index += 1 }
                value.append(text[index])
                index += 1
            }
            index += 1
            return String(value)
        }
        while index < text.count {
            skip([" ", "\t", ","])
            let name = token()
            guard !name.isEmpty else {
                index += 1
                continue
            }
            skip([" ", "\t"])
            if index < text.count, text[index] == "=", var current = challenges.popLast() {
                // A parameter of the current challenge (token68 values end in '=' and are skipped).
                index += 1
                skip([" ", "\t"])
                let value = index < text.count && text[index] == "\"" ? quoted() : token()
                current.parameters[name.lowercased()] = value
                challenges.append(current)
            } else if index < text.count, text[index] == "=" {
                index += 1
            } else {
                challenges.append(Challenge(scheme: name.lowercased(), parameters: [:]))
            }
        }
        return challenges
    }
}
