import Testing

@testable import JunctionCore

/// A bounded, seeded random search over what a peer can send: generated and mutated JSON-RPC
/// lines, cut into random chunks, through LineFramer, JSONRPCMessage.parse and RawJSON. It checks
/// properties, not examples: framing does not depend on chunking and agrees with a plain model;
/// the scanner never traps, and what it accepts it accepts again. `scripts/fuzz` runs the same
/// code paths under libFuzzer (coverage-guided) for longer.
@Suite("Framing and scanning, randomized")
struct FramingFuzzTests {
    /// SplitMix64: fast, and the same sequence for the same seed on every platform.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [UInt64] = [1, 2, 3, 0xDEAD_BEEF]

    @Test("random streams frame the same whatever the chunking, as a plain model says", arguments: seeds)
    func framing(seed: UInt64) {
        var random = SeededGenerator(state: seed)
        for _ in 0..<300 {
            let maxLine = [16, 64, 4096].randomElement(using: &random) ?? 64
            var stream: [UInt8] = []
            for _ in 0..<Int.random(in: 0...12, using: &random) {
                stream += Self.mutated(Self.message(using: &random), using: &random)
                stream += Self.separator(using: &random)
            }
            let expected = Self.modelFrames(stream, maxLine: maxLine)
            var whole = LineFramer(maxLineBytes: maxLine)
            var wholeFrames = whole.append(stream)
            if let last = whole.finish() { wholeFrames.append(last) }
            #expect(wholeFrames == expected)
            var chunked = LineFramer(maxLineBytes: maxLine)
            var chunkedFrames: [LineFramer.Frame] = []
            var start = 0
            while start < stream.count {
                let end = min(stream.count, start + Int.random(in: 1...40, using: &random))
                chunkedFrames += chunked.append(stream[start..<end])
                start = end
            }
            if let last = chunked.finish() { chunkedFrames.append(last) }
            #expect(chunkedFrames == expected)
        }
    }

    @Test("the scanner never traps; what it accepts it accepts again, member by member", arguments: seeds)
    func scanning(seed: UInt64) throws {
        var random = SeededGenerator(state: seed)
        for _ in 0..<2_500 {
            let line = Self.mutated(Self.message(using: &random), using: &random)
            _ = JSONRPCMessage.parse(line)
            _ = PartialObject.integerMember("id", inPrefix: Array(line.prefix(Int.random(in: 0...64, using: &random))))
            _ = PartialObject.integerMember("id", inSuffix: Array(line.suffix(Int.random(in: 0...64, using: &random))))
            guard let value = try? RawJSON(validating: line) else { continue }
            #expect(try RawJSON(validating: value.bytes) == value)
            if let members = value.members {
                #expect(try RawJSON(validating: RawJSON(object: members).bytes).members?.count == members.count)
            }
            if let elements = value.elements {
                #expect(try RawJSON(validating: RawJSON(array: elements).bytes).elements?.count == elements.count)
            }
        }
    }

    // MARK: - Generating

    /// What a framer should make of `stream`: split at newlines, a trailing CR dropped, blank
    /// lines skipped, lines over the limit reported by size.
    static func modelFrames(_ stream: [UInt8], maxLine: Int) -> [LineFramer.Frame] {
        var pieces = stream.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        if stream.last == 0x0A { pieces.removeLast() }
        return pieces.compactMap { piece -> LineFramer.Frame? in
            if piece.count > maxLine { return .oversized(piece.count) }
            var line = piece
            if line.last == 0x0D { line.removeLast() }
            if line.allSatisfy({ [0x20, 0x09, 0x0D].contains($0) }) { return nil }
            return .line(line)
        }
    }

    static func separator(using random: inout SeededGenerator) -> [UInt8] {
        [[0x0A], [0x0D, 0x0A], [0x0A, 0x0A], [0x20, 0x0A], [0x09, 0x0D, 0x0A]].randomElement(using: &random) ?? [0x0A]
    }

    /// A JSON-RPC message as a client might send one.
    static func message(using random: inout SeededGenerator) -> [UInt8] {
        let id = Int.random(in: 0..<1_000_000, using: &random)
        let templates = [
            #"{"jsonrpc":"2.0","id":\#(id),"method":"ping"}"#,
            #"{"jsonrpc":"2.0","id":"s\#(id)","method":"tools/list","params":{"cursor":"500"}}"#,
            #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"fs__read","arguments":\#(value(depth: 0, using: &random))}}"#,
            #"{"jsonrpc":"2.0","id":\#(id),"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{}}}"#,
            #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":\#(id)}}"#,
            #"{"jsonrpc":"2.0","id":\#(id),"result":\#(value(depth: 0, using: &random))}"#,
        ]
        return Array((templates.randomElement(using: &random) ?? "{}").utf8)
    }

    static func value(depth: Int, using random: inout SeededGenerator) -> String {
        let pick = depth > 4 ? Int.random(in: 0..<5, using: &random) : Int.random(in: 0..<8, using: &random)
        switch pick {
        case 0: return "null"
        case 1: return Bool.random(using: &random) ? "true" : "false"
        case 2:
            return ["0", "-1", "3.25e-7", "123456789012345678901234567890", "1E400"].randomElement(using: &random)
                ?? "0"
        case 3: return #""caf\u00e9 \"q\" \\ \ud83d\ude00""#
        case 4: return #""plain text""#
        case 5:
            let count = Int.random(in: 0...3, using: &random)
            return "[" + (0..<count).map { _ in value(depth: depth + 1, using: &random) }.joined(separator: ",") + "]"
        default:
            let count = Int.random(in: 0...3, using: &random)
            return "{"
                + (0..<count).map { index in #""k\#(index)":\#(value(depth: depth + 1, using: &random))"# }
                .joined(separator: ",") + "}"
        }
    }

    /// `bytes` with a random mutation (or none): a byte flipped, dropped or duplicated, a cut,
    /// deep nesting, an invalid UTF-8 byte, a duplicated key.
    static func mutated(_ bytes: [UInt8], using random: inout SeededGenerator) -> [UInt8] {
        guard !bytes.isEmpty else { return bytes }
        var out = bytes
        let at = Int.random(in: 0..<out.count, using: &random)
        switch Int.random(in: 0..<9, using: &random) {
        case 0: return out
        case 1: out[at] = UInt8.random(in: 0...255, using: &random)
        case 2: out.remove(at: at)
        case 3: out.insert(out[at], at: at)
        case 4: out = Array(out[..<at])
        case 5:
            let depth = [10, 511, 513, 2_000].randomElement(using: &random) ?? 10
            out =
                Array(repeating: UInt8(ascii: "["), count: depth) + out
                + Array(repeating: UInt8(ascii: "]"), count: depth)
        case 6: out.insert(contentsOf: [0xFF, 0xC3], at: at)
        case 7: out = Array(#"{"jsonrpc":"2.0","id":1,"id":null,"#.utf8) + out.dropFirst()
        default: out.insert(contentsOf: Array(" \r\t".utf8), at: at)
        }
        return out
    }
}
