import Testing

@testable import JunctionGateway

@Suite("SSEParser")
struct SSEParserTests {
    private typealias Event = SSEParser.Event

    /// Every event of `text` fed as one chunk, and fed cut at every possible place (in two),
    /// must be the same.
    private func events(_ text: String, maxEventBytes: Int = 1 << 20) throws -> [Event] {
        let bytes = Array(text.utf8)
        var whole = SSEParser(maxEventBytes: maxEventBytes)
        let expected = try whole.feed(bytes)
        for cut in 0...bytes.count {
            var parser = SSEParser(maxEventBytes: maxEventBytes)
            let split = try parser.feed(bytes[..<cut]) + parser.feed(bytes[cut...])
            #expect(split == expected, "cut at \(cut)")
        }
        var bytewise = SSEParser(maxEventBytes: maxEventBytes)
        var fed: [Event] = []
        for byte in bytes { fed += try bytewise.feed([byte]) }
        #expect(fed == expected, "fed a byte at a time")
        return expected
    }

    @Test("data lines of one event are joined with a line feed")
    func multiLineData() throws {
        #expect(try events("data: {\"a\":\ndata: 1}\n\n") == [Event(data: "{\"a\":\n1}")])
    }

    @Test("comments are skipped and an event without data is not dispatched")
    func commentsAndEmptyEvents() throws {
        #expect(try events(": keep-alive\n\n:another\nevent: ping\n\ndata: x\n\n") == [Event(data: "x")])
    }

    @Test("CRLF, CR and LF all end lines, also when a chunk ends between CR and LF")
    func lineEnds() throws {
        let expected = [Event(data: "a"), Event(data: "b"), Event(data: "c\nd")]
        #expect(try events("data: a\r\n\r\ndata: b\r\rdata: c\ndata: d\r\n\n") == expected)
    }

    @Test("the event type, id and retry are taken; the id lasts until another is set")
    func fields() throws {
        var parser = SSEParser()
        let first = try parser.feed(
            Array("event: endpoint\nid: 7\nretry: 2500\ndata: /messages?s=1\n\ndata: x\n\n".utf8))
        #expect(first == [Event(type: "endpoint", data: "/messages?s=1", id: "7"), Event(data: "x", id: "7")])
        #expect(parser.lastEventId == "7" && parser.retry == 2500)
        #expect(try parser.feed(Array("id\ndata: y\n\n".utf8)) == [Event(data: "y", id: nil)])
        #expect(parser.lastEventId == nil)
    }

    @Test("retry with anything but digits, and an id with NUL, are ignored")
    func badFields() throws {
        var parser = SSEParser()
        _ = try parser.feed(Array("retry: 12a\nid: a\u{0}b\ndata: x\n\n".utf8))
        #expect(parser.retry == nil && parser.lastEventId == nil)
    }

    @Test("a value keeps everything after the one space after the colon; a field without colon has an empty value")
    func values() throws {
        #expect(try events("data:  two spaces\n\ndata\ndata\n\n") == [Event(data: " two spaces"), Event(data: "\n")])
    }

    @Test("a leading byte order mark is skipped, once")
    func byteOrderMark() throws {
        #expect(try events("\u{FEFF}data: a\n\n") == [Event(data: "a")])
        #expect(try events("\u{FEFF}\u{FEFF}data: a\n\n") == [])
    }

    @Test("an event the stream ended in is dropped")
    func unfinishedEvent() throws {
        var parser = SSEParser()
        #expect(try parser.feed(Array("data: a\n\ndata: b\n".utf8)) == [Event(data: "a")])
        parser.finish()
        #expect(try parser.feed(Array("\n".utf8)) == [])
    }

    @Test("an event over the size limit is refused")
    func tooLarge() throws {
        var parser = SSEParser(maxEventBytes: 16)
        #expect(throws: SSEParser.TooLarge.self) {
            _ = try parser.feed(Array("data: 0123456789\ndata: 0123456789\n\n".utf8))
        }
    }

    @Test("non-ASCII text survives any cut")
    func unicode() throws {
        #expect(try events("data: héllo ✓ 🚀\n\n") == [Event(data: "héllo ✓ 🚀")])
    }
}
