import Foundation
import JunctionCore
import Testing

@Suite("Redactor")
struct RedactorTests {
    static let secret = "ghp_S3cretValue"
    let redactor = Redactor(secretValues: [RedactorTests.secret, "hunter2!"], extraKeys: ["ssn", "account_number"])

    func redact(_ json: String) -> String {
        String(decoding: redactor.redact(Array(json.utf8)), as: UTF8.self)
    }

    /// Output must stay JSON: parse it to be sure.
    func parsed(_ json: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
    }

    @Test(
        "values under secret-looking keys are redacted at any depth",
        arguments: [
            (#"{"password":"p"}"#, #"{"password":"[REDACTED]"}"#),
            (#"{"user":"ann","Password":"p"}"#, #"{"user":"ann","Password":"[REDACTED]"}"#),
            (#"{"a":{"b":{"github_token":"x","keep":1}}}"#, #"{"a":{"b":{"github_token":"[REDACTED]","keep":1}}}"#),
            (
                #"{"headers":{"X-Api-Key":"k","Accept":"json"}}"#,
                #"{"headers":{"X-Api-Key":"[REDACTED]","Accept":"json"}}"#
            ),
            (#"{"Authorization":"Bearer abc"}"#, #"{"Authorization":"[REDACTED]"}"#),
            (
                #"{"accessToken":"a","refresh_token":"b"}"#,
                #"{"accessToken":"[REDACTED]","refresh_token":"[REDACTED]"}"#
            ),
            (
                #"{"privateKey":"k","private-key":"k","AWS_ACCESS_KEY_ID":"id"}"#,
                #"{"privateKey":"[REDACTED]","private-key":"[REDACTED]","AWS_ACCESS_KEY_ID":"[REDACTED]"}"#
            ),
            (
                #"{"x-auth":"a","authToken":"b","auth":"c"}"#,
                #"{"x-auth":"[REDACTED]","authToken":"[REDACTED]","auth":"[REDACTED]"}"#
            ),
            (
                #"{"Set-Cookie":"c","credentials":{"u":"a","p":"b"}}"#,
                #"{"Set-Cookie":"[REDACTED]","credentials":"[REDACTED]"}"#
            ),
            (
                #"{"client_secret":["a","b"],"sessionId":42,"passwd":true}"#,
                #"{"client_secret":"[REDACTED]","sessionId":"[REDACTED]","passwd":"[REDACTED]"}"#
            ),
            (
                #"{"apikey":"a","api_key":"b","API-KEY":"c"}"#,
                #"{"apikey":"[REDACTED]","api_key":"[REDACTED]","API-KEY":"[REDACTED]"}"#
            ),
        ])
    func secretKeys(input: String, expected: String) throws {
        let output = redact(input)
        #expect(output == expected)
        _ = try parsed(output)
    }

    @Test("keys that only resemble a short keyword are kept: 'author' is not 'auth'")
    func wordBoundaries() {
        let input = #"{"author":"ann","authority":"x","tokenizer":"bpe","path":"/a"}"#
        #expect(redact(input) == #"{"author":"ann","authority":"x","tokenizer":"[REDACTED]","path":"/a"}"#)
        #expect(!redactor.isSecretKey("author"))
        #expect(redactor.isSecretKey("OAuth2-Auth"))
        #expect(redactor.isSecretKey("HTTPAuthHeader"))
    }

    @Test("arrays of objects are redacted element by element")
    func arraysOfObjects() throws {
        let input = #"[{"name":"a","token":"t1"},{"name":"b","token":"t2"},[{"secret":{"deep":[1,2]}}]]"#
        let expected =
            #"[{"name":"a","token":"[REDACTED]"},{"name":"b","token":"[REDACTED]"},[{"secret":"[REDACTED]"}]]"#
        #expect(redact(input) == expected)
    }

    @Test("null under a secret key stays null")
    func nullStays() {
        #expect(redact(#"{"password":null,"token":"t"}"#) == #"{"password":null,"token":"[REDACTED]"}"#)
    }

    @Test("a secret value is replaced wherever it occurs, also inside longer strings")
    func secretValues() throws {
        let input = """
            {"cmd":"curl -H 'Authorization: token \(Self.secret)' https://api","list":["\(Self.secret)", "x"],\
            "note":"\(Self.secret)\(Self.secret)","pw":"my hunter2! is safe"}
            """
        let expected = """
            {"cmd":"curl -H 'Authorization: token [REDACTED]' https://api","list":["[REDACTED]", "x"],\
            "note":"[REDACTED][REDACTED]","pw":"my [REDACTED] is safe"}
            """
        let output = redact(input)
        #expect(output == expected)
        #expect(!output.contains(Self.secret))
        _ = try parsed(output)
    }

    @Test("a secret value written with escapes is still found, and the rewritten string stays valid")
    func escapedSecretValue() throws {
        // \u0067 is 'g', \/ is '/'.
        let output = redact(#"{"msg":"\"\u0067hp_S3cretValue\"\nline2\/x"}"#)
        #expect(output == #"{"msg":"\"[REDACTED]\"\nline2/x"}"#)
        let object = try #require(try parsed(output) as? [String: String])
        #expect(object["msg"] == "\"[REDACTED]\"\nline2/x")
    }

    @Test("secret values inside keys and numeric secrets are redacted too")
    func keysAndNumbers() {
        let redactor = Redactor(secretValues: ["123456789", "ghp_keyed"])
        let input = #"{"ghp_keyed":1,"pin":123456789,"n":1234567890123,"other":12345}"#
        let output = String(decoding: redactor.redact(Array(input.utf8)), as: UTF8.self)
        #expect(output == #"{"[REDACTED]":1,"pin":"[REDACTED]","n":"[REDACTED]","other":12345}"#)
    }

    @Test("secrets shorter than four characters are ignored")
    func shortSecrets() {
        let redactor = Redactor(secretValues: ["abc", "", "x"])
        #expect(redactor.redact(text: "abc x abc") == "abc x abc")
        #expect(Redactor(secretValues: ["abcd"]).redact(text: "xabcdx") == "x[REDACTED]x")
    }

    @Test("unicode keys and values survive; unicode secrets are found")
    func unicode() throws {
        let redactor = Redactor(secretValues: ["pässwörd-ü😀"], extraKeys: ["contraseña"])
        let input = #"{"名前":"café 😀","note":"x pässwörd-ü😀 y","Contraseña":"abc","e":"\u00e9\ud83d\ude00"}"#
        let output = String(decoding: redactor.redact(Array(input.utf8)), as: UTF8.self)
        #expect(
            output == #"{"名前":"café 😀","note":"x [REDACTED] y","Contraseña":"[REDACTED]","e":"\u00e9\ud83d\ude00"}"#)
        _ = try parsed(output)
    }

    @Test(
        "escapes in keys are decoded before matching", arguments: [#"pass\u0077ord"#, #"\u0054OKEN"#, #"api\u005fkey"#])
    func escapedKeys(key: String) {
        #expect(redact(#"{"\#(key)":"v","ok":"v"}"#) == #"{"\#(key)":"[REDACTED]","ok":"v"}"#)
    }

    @Test("everything not redacted is kept byte for byte: numbers, whitespace, key order, escapes")
    func lossless() {
        let input = """
            { "z" : 123456789012345678901234567890, "a":[ -0.5e+10 , 1.0, 1E3, 0 ],
              "m":"tab\\tquote\\" slash\\/ \\u00e9", "password" : "p", "b":true,"n":null }
            """
        let expected = """
            { "z" : 123456789012345678901234567890, "a":[ -0.5e+10 , 1.0, 1E3, 0 ],
              "m":"tab\\tquote\\" slash\\/ \\u00e9", "password" : "[REDACTED]", "b":true,"n":null }
            """
        #expect(redact(input) == expected)
        let untouched = #"{"b":2,"a":1,"big":-98765432109876543210.000000000001e-7}"#
        #expect(redact(untouched) == untouched)
    }

    @Test(
        "top-level scalars and empty containers pass through", arguments: ["1", "\"s\"", "[]", "{}", "null", " true "])
    func scalars(input: String) {
        #expect(redact(input) == input)
    }

    @Test(
        "invalid JSON comes back as text with secret values replaced",
        arguments: [
            #"{"password":"ghp_S3cretValue""#,
            #"{"a":1,}"#,
            "not json ghp_S3cretValue",
            #"{"a":"ghp_S3cretValue"} trailing"#,
            "{\"a\":\"raw\u{01}control ghp_S3cretValue\"}",
            #"{"a":"\x"}"#,
            #"{"a":01}"#,
        ])
    func invalidJSON(input: String) {
        let output = redact(input)
        #expect(output == input.replacingOccurrences(of: Self.secret, with: "[REDACTED]"))
        #expect(!output.contains(Self.secret))
    }

    @Test("invalid UTF-8 is treated as text")
    func invalidUTF8() {
        let input: [UInt8] = Array(#"{"a":""#.utf8) + [0xFF] + Array(#"ghp_S3cretValue"}"#.utf8)
        let output = redactor.redact(input)
        #expect(output == Array(#"{"a":""#.utf8) + [0xFF] + Array(#"[REDACTED]"}"#.utf8))
    }

    @Test("in text, a secret is also found in its JSON-escaped spelling")
    func textEscapedSpelling() {
        let redactor = Redactor(secretValues: [#"pa"ss\word"#])
        #expect(
            redactor.redact(text: #"raw pa"ss\word and {"v":"pa\"ss\\word""#)
                == #"raw [REDACTED] and {"v":"[REDACTED]""#)
    }

    @Test("nesting deeper than the limit is redacted as text, without crashing")
    func deepNesting() {
        let depth = 10_000
        let input = String(repeating: "[", count: depth) + "\"\(Self.secret)\"" + String(repeating: "]", count: depth)
        let output = redact(input)
        #expect(output.hasPrefix("[[[") && output.contains("[REDACTED]") && !output.contains(Self.secret))
    }

    @Test("no secrets and no secret keys: the input is returned unchanged")
    func noSecrets() {
        let redactor = Redactor(secretValues: [])
        let input = #"{"path":"/tmp","count":3}"#
        #expect(redactor.redact(Array(input.utf8)) == Array(input.utf8))
        #expect(redactor.redact(text: "plain") == "plain")
        #expect(redactor.redact(Data(input.utf8)) == Array(input.utf8))
        #expect(redactor.redact(Array(input.utf8)[...]) == Array(input.utf8))
    }

    @Test("redaction hints add keys; short hints match whole words only")
    func extraKeys() {
        let input = #"{"ssn":"1","user_ssn":"2","lesson":"3","account-number":"4","accountNumberType":"5"}"#
        #expect(
            redact(input)
                == #"{"ssn":"[REDACTED]","user_ssn":"[REDACTED]","lesson":"3","account-number":"[REDACTED]","accountNumberType":"[REDACTED]"}"#
        )
    }

    @Test("redacting twice changes nothing more")
    func idempotent() {
        let input = #"{"token":"t","msg":"x ghp_S3cretValue y","list":[{"auth":{"a":1}}]}"#
        let once = redact(input)
        #expect(redact(once) == once)
    }
}
