import Foundation
import JunctionCore
import Testing

@Suite("JSONRPCMessage")
struct JSONRPCMessageTests {
    private func parse(_ text: String) -> Result<JSONRPCMessage, JSONRPCMessage.ParseFailure> {
        JSONRPCMessage.parse(Array(text.utf8))
    }

    private func message(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONRPCMessage {
        switch parse(text) {
        case .success(let message): return message
        case .failure(let failure):
            Issue.record("unexpected failure \(failure.code): \(failure.message)", sourceLocation: sourceLocation)
            throw failure
        }
    }

    private func parseFailure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation)
        -> JSONRPCMessage.ParseFailure?
    {
        switch parse(text) {
        case .success(let message):
            Issue.record("expected a failure, parsed \(message)", sourceLocation: sourceLocation)
            return nil
        case .failure(let failure): return failure
        }
    }

    // MARK: - Classification

    @Test("a request has a method and an id, kept as sent")
    func request() throws {
        let numeric = try message(#"{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}}"#)
        #expect(numeric.kind == .request)
        #expect(numeric.id?.description == "7")
        #expect(numeric.method == "tools/list")
        #expect(numeric.params?.description == #"{"cursor":"x"}"#)

        let text = try message(#"{"method":"ping","id":"abc","jsonrpc":"2.0"}"#)
        #expect(text.kind == .request)
        #expect(text.id?.description == #""abc""#)
        #expect(text.params == nil)

        let big = try message(#"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"ping"}"#)
        #expect(big.id?.description == "123456789012345678901234567890")

        let positional = try message(#"{"jsonrpc":"2.0","id":1,"method":"m","params":[1,2]}"#)
        #expect(positional.params?.description == "[1,2]")
    }

    @Test("a notification has a method and no id")
    func notification() throws {
        let note = try message(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        #expect(note.kind == .notification)
        #expect(note.id == nil)
        #expect(note.method == "notifications/initialized")
    }

    @Test("responses carry a result or an error, kept raw")
    func responses() throws {
        let ok = try message(#"{"jsonrpc":"2.0","id":3,"result":{"tools":[ ]}}"#)
        #expect(ok.kind == .response)
        #expect(ok.result?.description == #"{"tools":[ ]}"#)
        #expect(ok.error == nil)

        let failed = try message(#"{"jsonrpc":"2.0","id":"x","error":{"code":-32601,"message":"nope","data":[1]}}"#)
        #expect(failed.kind == .errorResponse)
        #expect(failed.errorCode == -32601)
        #expect(failed.errorMessage == "nope")
        #expect(failed.error?["data"]?.description == "[1]")

        // A null result is still a result.
        #expect(try message(#"{"jsonrpc":"2.0","id":4,"result":null}"#).kind == .response)
    }

    // MARK: - Failures

    @Test(
        "malformed JSON is a parse error (-32700) with no id",
        arguments: ["{not json", #"{"jsonrpc":"2.0","id":1,"method":"x""#, "", "\u{FF}", "nul"])
    func parseErrors(text: String) throws {
        let failure = try #require(parseFailure(text))
        #expect(failure.code == -32700)
        #expect(failure.message.hasPrefix("Parse error"))
        #expect(failure.id == nil)
    }

    @Test(
        "anything but one request, notification or response is an invalid request (-32600)",
        arguments: [
            (#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, "batches are not supported", nil),
            ("[]", "batches are not supported", nil),
            ("42", "expected a JSON object", nil),
            (#""text""#, "expected a JSON object", nil),
            ("null", "expected a JSON object", nil),
            (#"{"id":7,"method":"ping"}"#, #""jsonrpc" must be "2.0""#, "7"),
            (#"{"jsonrpc":"1.0","id":"a","method":"ping"}"#, #""jsonrpc" must be "2.0""#, #""a""#),
            (#"{"jsonrpc":2.0,"id":8,"method":"ping"}"#, #""jsonrpc" must be "2.0""#, "8"),
            (#"{"jsonrpc":"2.0","id":9,"method":5}"#, "method must be a string", "9"),
            (#"{"jsonrpc":"2.0","id":10,"method":null}"#, "method must be a string", "10"),
            (#"{"jsonrpc":"2.0","id":11,"method":"m","params":3}"#, "params must be an object or an array", "11"),
            (#"{"jsonrpc":"2.0","id":12,"method":"m","params":"x"}"#, "params must be an object or an array", "12"),
            (#"{"jsonrpc":"2.0","method":"m","params":true}"#, "params must be an object or an array", nil),
            (#"{"jsonrpc":"2.0","id":13}"#, "a response needs a result or an error", "13"),
            (#"{"jsonrpc":"2.0"}"#, "needs a method, or an id", nil),
            (#"{"jsonrpc":"2.0","result":{}}"#, "needs a method, or an id", nil),
            (#"{"jsonrpc":"2.0","id":{"a":1},"method":"m"}"#, "id must be a string or a number", nil),
            (#"{"jsonrpc":"2.0","id":[1],"method":"m"}"#, "id must be a string or a number", nil),
            (#"{"jsonrpc":"2.0","id":true,"result":{}}"#, "id must be a string or a number", nil),
            (#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, "a request's id must not be null", "null"),
        ] as [(String, String, String?)])
    func invalidRequests(text: String, why: String, id: String?) throws {
        let failure = try #require(parseFailure(text))
        #expect(failure.code == -32600)
        #expect(failure.message.hasPrefix("Invalid Request: "))
        #expect(failure.message.contains(why), "\(failure.message)")
        #expect(failure.id?.description == id)
    }

    @Test("a failure answers with its code and the id it could read, or null")
    func failureResponses() throws {
        let withId = try #require(parseFailure(#"{"id":"req-1","method":"ping"}"#)).response
        #expect(withId.kind == .errorResponse)
        #expect(withId.id?.description == #""req-1""#)
        #expect(withId.errorCode == -32600)
        let encoded = try JSONSerialization.jsonObject(with: Data(withId.encoded())) as? [String: Any]
        #expect(encoded?["id"] as? String == "req-1")
        #expect((encoded?["error"] as? [String: Any])?["code"] as? Int == -32600)

        let withoutId = try #require(parseFailure("{oops")).response
        #expect(withoutId.id == .null)
        let text = String(decoding: withoutId.encoded(), as: UTF8.self)
        #expect(text.hasPrefix(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: "#))
        #expect(try JSONSerialization.jsonObject(with: Data(withoutId.encoded())) is [String: Any])
    }

    // MARK: - Encoding

    @Test("encoding writes valid JSON on one line and carries params bytes verbatim")
    func encodingIsVerbatim() throws {
        let params = #"{ "big" : 123456789012345678901234567890, "money":1.50,"s":"\u00e9\n", "_meta":{"x":[ ]} }"#
        let line = #"{"jsonrpc":"2.0","id":"q","method":"tools/call","params":"# + params + "}"
        let parsed = try message(line)
        let encoded = parsed.encoded()
        #expect(!encoded.contains(0x0A))
        #expect(
            String(decoding: encoded, as: UTF8.self)
                == #"{"jsonrpc":"2.0","id":"q","method":"tools/call","params":"# + params + "}")
        #expect(try JSONSerialization.jsonObject(with: Data(encoded)) is [String: Any])

        let again = try message(String(decoding: encoded, as: UTF8.self))
        #expect(again.kind == .request)
        #expect(again.id == parsed.id)
        #expect(again.params?.bytes == Array(params.utf8))
    }

    @Test("built messages encode as the JSON-RPC shapes they are")
    func builtMessages() throws {
        let request = JSONRPCMessage.request(id: RawJSON(integer: 5), method: "tools/list", params: nil)
        #expect(request.description == #"{"jsonrpc":"2.0","id":5,"method":"tools/list"}"#)
        let note = JSONRPCMessage.notification(method: "notifications/cancelled", params: .emptyObject)
        #expect(note.description == #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{}}"#)
        let response = JSONRPCMessage.response(id: RawJSON(string: "a"), result: .emptyObject)
        #expect(response.description == #"{"jsonrpc":"2.0","id":"a","result":{}}"#)
        let error = JSONRPCMessage.errorResponse(
            id: RawJSON(integer: 1), code: -32001, message: "denied \"x\"", data: RawJSON(array: [.true]))
        #expect(
            error.description
                == #"{"jsonrpc":"2.0","id":1,"error":{"code":-32001,"message":"denied \"x\"","data":[true]}}"#)
        #expect(error.errorCode == -32001)
        #expect(error.errorMessage == "denied \"x\"")
        for built in [request, note, response, error] {
            let reparsed = try message(built.description)
            #expect(reparsed.kind == built.kind)
        }
    }
}
