import Foundation
import JunctionCore
import Testing

@Suite("LineFramer")
struct LineFramerTests {
    private func line(_ text: String) -> LineFramer.Frame {
        .line(Array(text.utf8))
    }

    @Test("lines split across chunks byte by byte come out whole and in order")
    func byteByByte() {
        var framer = LineFramer()
        var frames: [LineFramer.Frame] = []
        for byte in Array("{\"a\":1}\n{\"b\":\"x y\"}\n[3]\n".utf8) { frames += framer.append([byte]) }
        #expect(frames == [line("{\"a\":1}"), line("{\"b\":\"x y\"}"), line("[3]")])
        #expect(framer.finish() == nil)
    }

    @Test("one chunk can finish several lines and start the next")
    func severalLinesPerChunk() {
        var framer = LineFramer()
        #expect(framer.append(Array("one\ntwo\nthr".utf8)) == [line("one"), line("two")])
        #expect(framer.append(Array("ee\nfo".utf8)) == [line("three")])
        #expect(framer.finish() == line("fo"))
    }

    @Test("CRLF line endings lose their carriage return, even when it arrives in its own chunk")
    func crlf() {
        var framer = LineFramer()
        #expect(framer.append(Array("a\r\nb\r".utf8)) == [line("a")])
        #expect(framer.append(Array("\n".utf8)) == [line("b")])
        // A carriage return inside a line is content.
        #expect(framer.append(Array("c\rd\n".utf8)) == [line("c\rd")])
    }

    @Test("empty lines are skipped")
    func emptyLines() {
        var framer = LineFramer()
        #expect(framer.append(Array("\n\n\r\nx\n\n\r\n".utf8)) == [line("x")])
        #expect(framer.finish() == nil)
    }

    @Test("an oversized line is reported once with its size, and the next line still arrives")
    func oversizedInOneChunk() {
        var framer = LineFramer(maxLineBytes: 10)
        let frames = framer.append(Array("0123456789ABCDEF\nok\n".utf8))
        #expect(frames == [.oversized(16), line("ok")])
    }

    @Test("an oversized line streamed in small chunks is still reported once with its full size")
    func oversizedStreamed() {
        var framer = LineFramer(maxLineBytes: 10)
        var frames: [LineFramer.Frame] = []
        let big = Array(String(repeating: "z", count: 1000).utf8)
        for start in stride(from: 0, to: big.count, by: 3) {
            frames += framer.append(big[start..<min(start + 3, big.count)])
        }
        #expect(frames.isEmpty)
        frames += framer.append(Array("\nnext\n".utf8))
        #expect(frames == [.oversized(1000), line("next")])
    }

    @Test("a line of exactly the limit passes; one byte more does not")
    func limitIsInclusive() {
        var framer = LineFramer(maxLineBytes: 5)
        #expect(framer.append(Array("12345\n123456\nabc\n".utf8)) == [line("12345"), .oversized(6), line("abc")])
    }

    @Test("finish returns a trailing line without a newline, or the oversized line in progress")
    func finish() {
        var framer = LineFramer()
        #expect(framer.append(Array("done\ntail\r".utf8)) == [line("done")])
        #expect(framer.finish() == line("tail"))
        // finish resets the framer.
        #expect(framer.finish() == nil)
        #expect(framer.append(Array("again\n".utf8)) == [line("again")])

        var small = LineFramer(maxLineBytes: 4)
        #expect(small.append(Array("too long".utf8)).isEmpty)
        #expect(small.finish() == .oversized(8))
        #expect(small.append(Array("ok\n".utf8)) == [line("ok")])
    }

    @Test("a line of whitespace alone is skipped like an empty one")
    func whitespaceLines() {
        var framer = LineFramer()
        #expect(framer.append(Array("  \n\t\r\n \t \r\n{}\n   ".utf8)) == [line("{}")])
        #expect(framer.finish() == nil)
        // Whitespace around a message is the message's business (JSON allows it).
        #expect(framer.append(Array("  {} \n".utf8)) == [line("  {} ")])
    }

    @Test("with context kept, an oversized line reports its first and last bytes")
    func oversizedContext() {
        var framer = LineFramer(maxLineBytes: 10, oversizedContextBytes: 4)
        var frames: [LineFramer.Frame] = []
        let big = Array("HEAD-the-long-middle-TAIL".utf8)
        for start in stride(from: 0, to: big.count, by: 3) {
            frames += framer.append(big[start..<min(start + 3, big.count)])
        }
        frames += framer.append(Array("\nok\n".utf8))
        #expect(frames == [.oversized(big.count, head: Array("HEAD".utf8), tail: Array("TAIL".utf8)), line("ok")])
        // In one chunk, and when it ends the stream.
        #expect(framer.append(Array("0123456789AB".utf8)).isEmpty)
        #expect(framer.finish() == .oversized(12, head: Array("0123".utf8), tail: Array("89AB".utf8)))
    }

    @Test("a 40 MB answer fed in 64 KiB chunks comes out whole, in time linear in its size")
    func largeLineIsLinear() throws {
        let chunk = 64 * 1024
        var timings: [String] = []
        for megabytes in [10, 20, 40] {
            // A tools/call answer as a server writes it: one text content of `megabytes` MB.
            let text = [UInt8](repeating: UInt8(ascii: "x"), count: megabytes * 1_000_000)
            let line =
                Array(#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":""#.utf8) + text
                + Array(#""}],"isError":false}}"#.utf8) + [0x0A]
            var framer = LineFramer()
            var frames: [LineFramer.Frame] = []
            let started = ContinuousClock.now
            line.withUnsafeBufferPointer { buffer in
                for start in stride(from: 0, to: buffer.count, by: chunk) {
                    frames += framer.append(buffer[start..<min(start + chunk, buffer.count)])
                }
            }
            let framed = ContinuousClock.now
            #expect(frames.count == 1)
            guard case .line(let whole) = frames.first else {
                Issue.record("no line came out")
                return
            }
            #expect(whole.count == line.count - 1)
            // What a session then does with it: read the envelope, look at isError, answer it.
            let message = try JSONRPCMessage.parse(whole).get()
            #expect(message.result?["isError"]?.boolValue == false)
            var answer = message
            answer.id = RawJSON(string: "client-id")
            #expect(answer.encoded().count == whole.count + 10)
            let answered = ContinuousClock.now
            timings.append(
                "\(megabytes) MB: framed \(Self.seconds(framed - started)) s, read and re-encoded "
                    + "\(Self.seconds(answered - framed)) s")
        }
        // A measurement to read, not a timed assertion: quadratic work shows 4x per doubling.
        print("Large answer (64 KiB chunks): " + timings.joined(separator: "; "))
    }

    private static func seconds(_ duration: Duration) -> String {
        String(
            format: "%.3f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
