import JunctionCore
import Synchronization
import Testing

@testable import JunctionServer

@Suite("MCP over HTTP: the mailbox routing a session's output to POSTs and streams")
struct MCPMailboxTests {
    static func request(_ id: String, method: String = "tools/call", params: String? = nil) -> JSONRPCMessage {
        .request(
            id: RawJSON(trusted: Array(id.utf8)), method: method,
            params: params.map { RawJSON(trusted: Array($0.utf8)) })
    }

    static func line(_ json: String) -> [UInt8] { Array((json + "\n").utf8) }

    /// Everything a stream holds now, with a bound (it may stay open).
    static func drain(_ stream: AsyncStream<MCPMailbox.Outgoing>, count: Int) async -> [MCPMailbox.Outgoing] {
        var collected: [MCPMailbox.Outgoing] = []
        for await outgoing in stream {
            collected.append(outgoing)
            if collected.count == count { break }
        }
        return collected
    }

    static func text(_ outgoing: MCPMailbox.Outgoing) -> String { String(decoding: outgoing.bytes, as: UTF8.self) }

    @Test("an answer goes to its POST under the client's id, as plain JSON when nothing preceded it")
    func answerRestoresTheClientId() async throws {
        let mailbox = MCPMailbox()
        let settled = CallbackCounter()
        let registration = try mailbox.register(Self.request(#"{"n":[1]}"#), canStream: true) { settled.add() }
        #expect(registration.message.id?.stringValue == registration.internalId)
        mailbox.deliver(Self.line(#"{"jsonrpc":"2.0","id":"\#(registration.internalId)","result":{"ok":true}}"#))
        let out = await Self.drain(registration.stream, count: 1)
        #expect(out.count == 1 && out[0].final && out[0].eventId == nil)
        #expect(Self.text(out[0]) == #"{"jsonrpc":"2.0","id":{"n":[1]},"result":{"ok":true}}"#)
        #expect(settled.value == 1 && mailbox.pendingCount == 0)
    }

    @Test("the same id twice in flight is refused; again once answered")
    func duplicateIds() throws {
        let mailbox = MCPMailbox()
        let first = try mailbox.register(Self.request("7"), canStream: false)
        #expect(throws: MCPMailbox.RegistrationError.duplicate) {
            try mailbox.register(Self.request("7"), canStream: false)
        }
        mailbox.deliver(Self.line(#"{"jsonrpc":"2.0","id":"\#(first.internalId)","result":{}}"#))
        _ = try mailbox.register(Self.request("7"), canStream: false)
    }

    @Test("progress rides on its request's stream with the client's token, then the answer, with event ids")
    func progressStreams() async throws {
        let mailbox = MCPMailbox()
        let registration = try mailbox.register(
            Self.request("1", params: #"{"name":"x","_meta":{"progressToken":"tok"}}"#), canStream: true)
        #expect(registration.message.params?["_meta"]?["progressToken"]?.stringValue == registration.internalId)
        let id = registration.internalId
        mailbox.deliver(
            Self.line(
                #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"\#(id)","progress":1}}"#
            ))
        mailbox.deliver(Self.line(#"{"jsonrpc":"2.0","id":"\#(id)","result":{}}"#))
        let out = await Self.drain(registration.stream, count: 2)
        #expect(out.count == 2)
        #expect(Self.text(out[0]).contains(#""progressToken":"tok""#) && !out[0].final && out[0].eventId != nil)
        #expect(out[1].final && out[1].eventId != nil)
    }

    @Test("a server request goes to the standalone stream, else a streaming POST, else waits for the next stream")
    func serverRequestsFindAStream() async throws {
        let mailbox = MCPMailbox()
        let sampling = #"{"jsonrpc":"2.0","id":1,"method":"sampling/createMessage","params":{}}"#
        mailbox.deliver(Self.line(sampling))  // nobody listens yet: kept
        let stream = mailbox.openStream(lastEventId: nil)
        let first = await Self.drain(stream, count: 1)
        #expect(Self.text(first[0]) == sampling && first[0].eventId == "g-1")
        mailbox.deliver(Self.line(#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#))
        let second = await Self.drain(stream, count: 1)
        #expect(second[0].eventId == "g-2")
    }

    @Test("a POST that accepts SSE carries a server request when no standalone stream is open")
    func postCarriesServerRequests() async throws {
        let mailbox = MCPMailbox()
        let registration = try mailbox.register(Self.request("1"), canStream: true)
        mailbox.deliver(Self.line(#"{"jsonrpc":"2.0","id":1,"method":"roots/list"}"#))
        let out = await Self.drain(registration.stream, count: 1)
        #expect(Self.text(out[0]).contains("roots/list") && !out[0].final)
    }

    @Test("Last-Event-ID replays what followed on that stream, and a POST's stream resumes to its answer")
    func resumption() async throws {
        let mailbox = MCPMailbox()
        let registration = try mailbox.register(
            Self.request("1", params: #"{"_meta":{"progressToken":1}}"#), canStream: true)
        let id = registration.internalId
        for n in 1...3 {
            mailbox.deliver(
                Self.line(
                    #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"\#(id)","progress":\#(n)}}"#
                ))
        }
        let seen = await Self.drain(registration.stream, count: 1)
        let resumed = mailbox.openStream(lastEventId: seen[0].eventId)
        mailbox.deliver(Self.line(#"{"jsonrpc":"2.0","id":"\#(id)","result":{"done":true}}"#))
        var replay: [MCPMailbox.Outgoing] = []
        for await outgoing in resumed { replay.append(outgoing) }
        #expect(replay.count == 3)
        #expect(Self.text(replay[0]).contains(#""progress":2"#) && Self.text(replay[1]).contains(#""progress":3"#))
        #expect(replay[2].final && Self.text(replay[2]).contains(#""id":1,"#))
    }

    @Test("the replay buffer keeps only the newest messages")
    func replayIsBounded() async {
        let mailbox = MCPMailbox(replayLimit: 4)
        let stream = mailbox.openStream(lastEventId: nil)
        for n in 1...10 { mailbox.deliver(Self.line(#"{"jsonrpc":"2.0","method":"m\#(n)"}"#)) }
        _ = await Self.drain(stream, count: 10)
        let again = mailbox.openStream(lastEventId: "g-1")
        mailbox.close(reason: "done")
        var replay: [String] = []
        for await outgoing in again { replay.append(outgoing.eventId ?? "") }
        #expect(replay == ["g-7", "g-8", "g-9", "g-10"])
    }

    @Test("cancelling a request ends its POST without an answer and names the internal id to the session")
    func cancellation() async throws {
        let mailbox = MCPMailbox()
        let settled = CallbackCounter()
        let registration = try mailbox.register(Self.request("\"abc\""), canStream: false) { settled.add() }
        let cancel = JSONRPCMessage.notification(
            method: "notifications/cancelled", params: RawJSON(trusted: Array(#"{"requestId":"abc"}"#.utf8)))
        let mapped = mailbox.inbound(cancel)
        #expect(mapped.params?["requestId"]?.stringValue == registration.internalId)
        var out: [MCPMailbox.Outgoing] = []
        for await outgoing in registration.stream { out.append(outgoing) }
        #expect(out.isEmpty && settled.value == 1)
    }

    @Test("a request whose reader goes away is cancelled when it asked to be (2026-07-28), kept otherwise")
    func abandonedReaders() async throws {
        let mailbox = MCPMailbox()
        let abandoned = Mutex<[String]>([])
        mailbox.onAbandoned { id in abandoned.withLock { $0.append(id) } }
        let settled = CallbackCounter()
        var modern: MCPMailbox.Registration? = try mailbox.register(
            Self.request("1"), canStream: true, cancelOnDetach: true
        ) { settled.add() }
        var legacy: MCPMailbox.Registration? = try mailbox.register(Self.request("2"), canStream: true)
        let ids = (modern?.internalId ?? "", legacy?.internalId ?? "")
        modern = nil
        legacy = nil
        #expect(abandoned.withLock { $0 } == [ids.0] && settled.value == 1)
        #expect(mailbox.pendingCount == 1 && !mailbox.hasOpenStream)
        _ = ids.1
    }

    @Test("closing answers every waiting POST with the reason and ends the streams")
    func closing() async throws {
        let mailbox = MCPMailbox()
        let settled = CallbackCounter()
        let registration = try mailbox.register(Self.request("5"), canStream: false) { settled.add() }
        let stream = mailbox.openStream(lastEventId: nil)
        mailbox.close(reason: "the session expired")
        let out = await Self.drain(registration.stream, count: 1)
        #expect(
            out[0].final && Self.text(out[0]).contains("the session expired") && Self.text(out[0]).contains(#""id":5"#))
        for await _ in stream {}
        #expect(settled.value == 1)
        #expect(throws: MCPMailbox.RegistrationError.closed) {
            try mailbox.register(Self.request("6"), canStream: false)
        }
    }

    @Test("concurrent requests each get their own answer")
    func concurrentAnswers() async throws {
        let mailbox = MCPMailbox()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for n in 0..<200 {
                let registration = try mailbox.register(Self.request(String(n)), canStream: false)
                group.addTask {
                    mailbox.deliver(
                        Self.line(#"{"jsonrpc":"2.0","id":"\#(registration.internalId)","result":{"n":\#(n)}}"#))
                    let out = await Self.drain(registration.stream, count: 1)
                    return Self.text(out[0]) == #"{"jsonrpc":"2.0","id":\#(n),"result":{"n":\#(n)}}"#
                }
            }
            for try await matched in group { #expect(matched) }
        }
        #expect(mailbox.pendingCount == 0)
    }
}

/// A thread-safe count for callbacks.
final class CallbackCounter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
