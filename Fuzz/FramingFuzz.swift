// libFuzzer entry point for the MCP wire path: LineFramer, then JSONRPCMessage.parse, RawJSON's
// scanner (JSONScanner) and PartialObject on every framed line. Built by scripts/fuzz together
// with JunctionCore's sources as one module (so internals are reachable), with -sanitize=fuzzer.
// Not part of the package: a plain `swift build` never sees it.
//
// The input's first byte picks the framer's limit and chunk size; the rest is the byte stream.
// Properties checked (a failure traps, which libFuzzer reports with the input):
// - framing the stream in chunks gives the frames of framing it whole;
// - what RawJSON accepts it accepts again from its own bytes, and rebuilds member by member.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFraming(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let control = data[0]
    let stream = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let maxLine = [8, 64, 1024, 1 << 20][Int(control & 0x03)]
    let chunk = Int(control >> 2) + 1

    var whole = LineFramer(maxLineBytes: maxLine, oversizedContextBytes: 16)
    var expected = whole.append(stream)
    if let last = whole.finish() { expected.append(last) }

    var chunked = LineFramer(maxLineBytes: maxLine, oversizedContextBytes: 16)
    var frames: [LineFramer.Frame] = []
    var start = 0
    while start < stream.count {
        let end = min(stream.count, start + chunk)
        frames += chunked.append(stream[start..<end])
        start = end
    }
    if let last = chunked.finish() { frames.append(last) }
    precondition(frames == expected, "framing depends on chunking")

    for frame in frames {
        switch frame {
        case .oversized(_, let head, let tail):
            _ = PartialObject.integerMember("id", inPrefix: head)
            _ = PartialObject.integerMember("id", inSuffix: tail)
        case .line(let line):
            _ = JSONRPCMessage.parse(line)
            _ = PartialObject.integerMember("id", inPrefix: line)
            _ = PartialObject.integerMember("id", inSuffix: line)
            guard let value = try? RawJSON(validating: line) else { continue }
            precondition((try? RawJSON(validating: value.bytes)) == value, "accepted once, refused again")
            if let members = value.members {
                precondition(RawJSON(object: members).members?.count == members.count, "members lost")
            }
            if let elements = value.elements {
                precondition(RawJSON(array: elements).elements?.count == elements.count, "elements lost")
            }
            _ = value.stringValue
            _ = value.intValue
        }
    }
    return 0
}
