import JunctionCore
import NIOCore
import NIOEmbedded
import Testing

@testable import JunctionGateway

@Suite("LineFrameDecoder")
struct LineFrameDecoderTests {
    /// A stdout pipeline: the decoder alone, fed reads by hand.
    private func channel(maxLineBytes: Int = 1024, contextBytes: Int = 0) -> EmbeddedChannel {
        EmbeddedChannel(
            handler: ByteToMessageHandler(LineFrameDecoder(maxLineBytes: maxLineBytes, contextBytes: contextBytes)))
    }

    /// Feeds `reads` one by one, then ends the stream: every frame made, in order.
    private func frames(_ reads: [[UInt8]], maxLineBytes: Int = 1024, contextBytes: Int = 0) throws
        -> [LineFramer.Frame]
    {
        let channel = channel(maxLineBytes: maxLineBytes, contextBytes: contextBytes)
        var frames: [LineFramer.Frame] = []
        for read in reads {
            try channel.writeInbound(ByteBuffer(bytes: read))
            while let frame = try channel.readInbound(as: LineFramer.Frame.self) { frames.append(frame) }
        }
        _ = try channel.finish()
        while let frame = try channel.readInbound(as: LineFramer.Frame.self) { frames.append(frame) }
        return frames
    }

    private func line(_ text: String) -> LineFramer.Frame { .line(Array(text.utf8)) }

    @Test("a line split across reads is one message, made when its newline arrives")
    func splitLine() throws {
        let channel = channel()
        try channel.writeInbound(ByteBuffer(string: #"{"jsonrpc":"2.0","#))
        #expect(try channel.readInbound(as: LineFramer.Frame.self) == nil)
        try channel.writeInbound(ByteBuffer(string: #""id":1}"#))
        #expect(try channel.readInbound(as: LineFramer.Frame.self) == nil)
        try channel.writeInbound(ByteBuffer(string: "\n"))
        #expect(try channel.readInbound(as: LineFramer.Frame.self) == line(#"{"jsonrpc":"2.0","id":1}"#))
        #expect(try channel.finish().isClean)
    }

    @Test("several lines in one read come out in order; CRLF ends a line, blank lines are skipped")
    func severalLines() throws {
        let made = try frames([Array("one\r\n\n  \r\ntwo\nthree\n\t\nfou".utf8), Array("r\n".utf8)])
        #expect(made == [line("one"), line("two"), line("three"), line("four")])
    }

    @Test("a last line without its newline counts when the stream ends; a blank one does not")
    func lastLine() throws {
        #expect(try frames([Array("one\ntwo\r".utf8)]) == [line("one"), line("two")])
        #expect(try frames([Array("one\n \r".utf8)]) == [line("one")])
    }

    @Test("a line over the limit is dropped as it streams, reported once with its size and its ends")
    func oversizedAcrossReads() throws {
        let big = Array(#"{"id":7,"#.utf8) + [UInt8](repeating: 0x61, count: 5000) + Array(#","id":7}"#.utf8)
        var reads = stride(from: 0, to: big.count, by: 700).map { Array(big[$0..<min(big.count, $0 + 700)]) }
        reads[reads.count - 1] += Array("\r\nnext\n".utf8)
        let made = try frames(reads, maxLineBytes: 100, contextBytes: 8)
        #expect(
            made == [
                .oversized(big.count + 1, head: Array(#"{"id":7,"#.utf8), tail: Array(#""id":7}\#r"#.utf8)),
                line("next"),
            ])
    }

    @Test("a line over the limit within one read, and one cut short by the end of the stream")
    func oversizedInOneRead() throws {
        let made = try frames([Array("0123456789ab\nok\n0123456789abcdef".utf8)], maxLineBytes: 10, contextBytes: 3)
        #expect(
            made == [
                .oversized(12, head: Array("012".utf8), tail: Array("9ab".utf8)), line("ok"),
                .oversized(16, head: Array("012".utf8), tail: Array("def".utf8)),
            ])
        // Exactly the limit is still a line; one byte more is not.
        #expect(try frames([Array("0123456789\n".utf8)], maxLineBytes: 10) == [line("0123456789")])
        #expect(try frames([Array("0123456789\r\n".utf8)], maxLineBytes: 10) == [.oversized(11)])
    }

    @Test("the channel never holds more of a long line than the limit")
    func boundedBuffer() throws {
        // The handler fails the pipeline if its decoder leaves more than this in its buffer.
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(LineFrameDecoder(maxLineBytes: 4096), maximumBufferSize: 4096))
        let read = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<10_000 {  // 10 MB of one line
            try channel.writeInbound(ByteBuffer(bytes: read))
        }
        try channel.writeInbound(ByteBuffer(string: "\n{}\n"))
        #expect(try channel.readInbound(as: LineFramer.Frame.self) == .oversized(10_000_000))
        #expect(try channel.readInbound(as: LineFramer.Frame.self) == line("{}"))
    }

    @Test("every stream of three tricky pieces, cut into reads of any size, frames as LineFramer frames it")
    func agreesWithLineFramer() throws {
        let pieces = ["\n", "\r\n", "\r", " \t", "{}", #""id":7"#, String(repeating: "a", count: 20)].map {
            Array($0.utf8)
        }
        var streams: [[UInt8]] = [[]]
        for _ in 0..<3 { streams = streams.flatMap { stream in pieces.map { stream + $0 } } }
        for stream in streams {
            for (maxLine, context) in [(1, 0), (4, 2), (16, 6)] {
                var framer = LineFramer(maxLineBytes: maxLine, oversizedContextBytes: context)
                var expected = framer.append(stream)
                if let last = framer.finish() { expected.append(last) }
                for readSize in [1, 3, 7, 64] {
                    let reads = stride(from: 0, to: stream.count, by: readSize).map {
                        Array(stream[$0..<min(stream.count, $0 + readSize)])
                    }
                    let made = try frames(reads, maxLineBytes: maxLine, contextBytes: context)
                    #expect(made == expected, "\(String(decoding: stream, as: UTF8.self).debugDescription)")
                }
            }
        }
    }
}
