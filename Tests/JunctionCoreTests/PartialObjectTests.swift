import JunctionCore
import Testing

@Suite("PartialObject")
struct PartialObjectTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test(
        "the id is read from the start of a response cut short",
        arguments: [
            (#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"abc"#, 7),
            (#" { "id" : -12 , "result": "#, -12),
            (#"{"jsonrpc":"2.0","result":{"a":1},"id":3,"#, 3),
        ])
    func fromPrefix(text: String, id: Int) {
        #expect(PartialObject.integerMember("id", inPrefix: bytes(text)) == id)
    }

    @Test(
        "no id is made up from a prefix",
        arguments: [
            #"{"jsonrpc":"2.0","result":{"id":7,"#,  // a nested id, the outer one never reached
            #"{"jsonrpc":"2.0","id":12"#,  // the number may go on
            #"{"jsonrpc":"2.0","id":"7","#,  // not an integer
            #"[{"id":1}]"#,
            #"{"jsonrpc" "2.0","id":1}"#,
            "",
        ])
    func prefixWithoutId(text: String) {
        #expect(PartialObject.integerMember("id", inPrefix: bytes(text)) == nil)
    }

    @Test(
        "the id is read from the end of a response whose last member it is",
        arguments: [
            (#"xxxx"}]},"id":42}"#, 42),
            (#"text"}]} , "id" : -1 } "#, -1),
            (#"{"id":5}"#, 5),
        ])
    func fromSuffix(text: String, id: Int) {
        #expect(PartialObject.integerMember("id", inSuffix: bytes(text)) == id)
    }

    @Test(
        "a nested or quoted id at the end is not taken",
        arguments: [
            #"xx","nested":{"id":5}}"#,
            #"xx","text":"\"id\":5}"}"#,
            #"xx"id":5}"#,
            #"xx,"id":}"#,
            #"xx,"id":5]"#,
        ])
    func suffixWithoutId(text: String) {
        #expect(PartialObject.integerMember("id", inSuffix: bytes(text)) == nil)
    }
}
