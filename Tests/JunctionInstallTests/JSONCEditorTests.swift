import Testing

@testable import JunctionInstall

@Suite("JSONC editor")
struct JSONCEditorTests {
    static let entry = JSONCValue.object([
        .init("command", .string("/opt/junction")), .init("args", .array([.string("stdio")])),
    ])

    func install(_ text: String, key: [String] = ["mcpServers"]) throws -> String {
        var editor = JSONCEditor(Array(text.utf8))
        try editor.set(Self.entry, at: key, name: "junction")
        return String(decoding: editor.bytes, as: UTF8.self)
    }

    func uninstall(_ text: String, key: [String] = ["mcpServers"]) throws -> (String, Bool) {
        var editor = JSONCEditor(Array(text.utf8))
        let removed = try editor.remove(at: key, name: "junction")
        return (String(decoding: editor.bytes, as: UTF8.self), removed)
    }

    /// Install then uninstall must give back the original bytes, and install must add exactly the
    /// expected text.
    @Test(
        "install adds only the entry and uninstall restores the file byte for byte",
        arguments: [
            // Comments everywhere, an unrelated server, a trailing comma.
            "{\n  // mine\n  \"mcpServers\": {\n    \"time\": {\"command\": \"uvx\"}, // time\n  },\n  /* tail */ \"x\": 1\n}\n",
            // Tabs, CRLF, unicode.
            "{\r\n\t\"mcpServers\": {\r\n\t\t\"été\": {\"command\": \"☃\"}\r\n\t},\r\n\t\"name\": \"ünï\"\r\n}",
            // Odd spacing, comment after the last member, no final newline.
            "{ \"mcpServers\" :   {\n        \"a\" : { \"command\" : \"a\" }   /* a */\n   }   }",
            // Everything on one line.
            #"{"mcpServers": {"a": {"command": "a"}}, "other": [1, 2]}"#,
            // An empty servers object.
            "{\n  \"mcpServers\": {}\n}\n",
            // A comment inside an otherwise empty object.
            "{\n  \"mcpServers\": {\n    // nothing yet\n  }\n}\n",
        ])
    func roundTrip(_ original: String) throws {
        let installed = try install(original)
        #expect(installed != original)
        let document = try JSONCDocument(Array(installed.utf8))
        let value = try #require(document.root).value
        #expect(value["mcpServers"]?["junction"]?.sameJSON(as: Self.entry) == true)
        let (restored, removed) = try uninstall(installed)
        #expect(removed)
        #expect(restored == original)
        #expect(try install(installed) == installed, "a second install changes nothing")
    }

    @Test("a new member follows the file's indentation and line endings")
    func followsStyle() throws {
        let crlf = try install("{\r\n    \"mcpServers\": {\r\n        \"a\": {}\r\n    }\r\n}\r\n")
        #expect(
            crlf
                == "{\r\n    \"mcpServers\": {\r\n        \"a\": {},\r\n        \"junction\": {\r\n            \"command\": \"/opt/junction\",\r\n            \"args\": [\"stdio\"]\r\n        }\r\n    }\r\n}\r\n"
        )
        let tabs = try install("{\n\t\"other\": true\n}\n")
        #expect(
            tabs
                == "{\n\t\"other\": true,\n\t\"mcpServers\": {\n\t\t\"junction\": {\n\t\t\t\"command\": \"/opt/junction\",\n\t\t\t\"args\": [\"stdio\"]\n\t\t}\n\t}\n}\n"
        )
    }

    @Test("empty and comment-only files get a fresh object; the comments stay")
    func emptyFiles() throws {
        let expected =
            "{\n  \"mcpServers\": {\n    \"junction\": {\n      \"command\": \"/opt/junction\",\n      \"args\": [\"stdio\"]\n    }\n  }\n}\n"
        #expect(try install("") == expected)
        #expect(try install("  \n") == "  \n" + expected)
        #expect(try install("// settings") == "// settings\n" + expected)
    }

    @Test("an existing entry is updated key by key; keys a person added stay")
    func updatesInPlace() throws {
        let original =
            "{\"mcpServers\": {\n  \"junction\": {\n    \"command\": \"/old/junction\", \"args\": [\"stdio\"], \"env\": {\"A\": \"1\"}\n  }\n}}"
        let updated = try install(original)
        #expect(
            updated
                == "{\"mcpServers\": {\n  \"junction\": {\n    \"command\": \"/opt/junction\", \"args\": [\"stdio\"], \"env\": {\"A\": \"1\"}\n  }\n}}"
        )
        #expect(try install(updated) == updated)
    }

    @Test("uninstall removes a middle or first member and its comma only")
    func removesMiddle() throws {
        let (first, _) = try uninstall("{\"mcpServers\": {\n  \"junction\": {},\n  \"a\": 1\n}}")
        #expect(first == "{\"mcpServers\": {\n  \"a\": 1\n}}")
        let (middle, _) = try uninstall("{\"mcpServers\": {\"a\": 1, \"junction\": {}, \"b\": 2}}")
        #expect(middle == "{\"mcpServers\": {\"a\": 1, \"b\": 2}}")
        let (absent, removed) = try uninstall("{\"mcpServers\": {\"a\": 1}}")
        #expect(!removed && absent == "{\"mcpServers\": {\"a\": 1}}")
    }

    @Test(
        "invalid files are refused with the line and column of the problem",
        arguments: [
            ("{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3),
            ("{\n  \"a\": tru\n}", 2, 8),
            ("{\n  \"a\": \"x\n}", 2, 10),
            ("[1, 2]", 1, 1),
            ("{} {}", 1, 4),
            ("{\"mcpServers\": [1]}", 1, 16),
            ("/* open", 1, 1),
            ("{\"a\": 1", 1, 1),
        ])
    func invalid(_ text: String, _ line: Int, _ column: Int) throws {
        var editor = JSONCEditor(Array(text.utf8))
        do {
            try editor.set(Self.entry, at: ["mcpServers"], name: "junction")
            Issue.record("expected a syntax error for \(text)")
        } catch {
            let position = SyntaxError.position(of: error.offset, in: Array(text.utf8))
            #expect(position.line == line && position.column == column, "\(error.message) in \(text)")
        }
        #expect(editor.bytes == Array(text.utf8))
    }

    @Test("deeply nested input is refused, not a crash")
    func deepNesting() {
        let text = String(repeating: "[", count: 10_000)
        #expect(throws: SyntaxError.self) { try JSONCDocument(Array(text.utf8)) }
    }

    @Test("strings decode escapes and surrogate pairs")
    func strings() throws {
        let document = try JSONCDocument(Array(#"{"k\u00e9y": "a\"b\\c\ud83d\ude00\n"}"#.utf8))
        #expect(document.root?.value["kéy"] == .string("a\"b\\c😀\n"))
    }
}
