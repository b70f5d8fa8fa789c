import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import JunctionServer

@Suite("HTTP connection cap")
struct ConnectionLimiterTests {
    enum Outcome: Equatable {
        case admitted
        case evicting(ObjectIdentifier)
        case refused
    }

    static func outcome(_ admission: ConnectionLimiter.Admission) -> Outcome {
        switch admission {
        case .admitted(let victim?): .evicting(ObjectIdentifier(victim))
        case .admitted(nil): .admitted
        case .refused: .refused
        }
    }

    @Test("past the cap the longest-idle connection makes room; busy ones are kept")
    func evictsLongestIdle() {
        let limiter = ConnectionLimiter(maximum: 2)
        let a = EmbeddedChannel()
        let b = EmbeddedChannel()
        let c = EmbeddedChannel()
        let d = EmbeddedChannel()
        #expect(Self.outcome(limiter.opened(a)) == .admitted)
        #expect(Self.outcome(limiter.opened(b)) == .admitted)
        limiter.requestStarted(a)
        // a is older but serving a request: b goes.
        #expect(Self.outcome(limiter.opened(c)) == .evicting(ObjectIdentifier(b)))
        #expect(limiter.count == 2)
        limiter.responseFinished(a)
        // a finished after c opened: c has been idle longer.
        #expect(Self.outcome(limiter.opened(d)) == .evicting(ObjectIdentifier(c)))
        #expect(limiter.shed.evicted == 2)
    }

    @Test("when every connection is busy the newcomer is refused; a close frees a place")
    func refusesWhenAllBusy() {
        let limiter = ConnectionLimiter(maximum: 2)
        let a = EmbeddedChannel()
        let b = EmbeddedChannel()
        _ = limiter.opened(a)
        _ = limiter.opened(b)
        limiter.requestStarted(a)
        limiter.requestStarted(b)
        #expect(Self.outcome(limiter.opened(EmbeddedChannel())) == .refused)
        #expect(limiter.shed.refused == 1)
        limiter.closed(a)
        #expect(limiter.count == 1)
        #expect(Self.outcome(limiter.opened(EmbeddedChannel())) == .admitted)
        // A victim's own close, arriving later, changes nothing.
        limiter.closed(a)
        #expect(limiter.count == 2)
    }

    @Test("the tracking handler marks a connection busy from a request head until its response ends")
    func handlerTracksTheConnection() throws {
        let limiter = ConnectionLimiter(maximum: 1)
        let channel = EmbeddedChannel()
        // Registered at accept, as ConnectionAdmissionHandler does.
        #expect(Self.outcome(limiter.opened(channel)) == .admitted)
        try channel.pipeline.syncOperations.addHandler(ConnectionTrackingHandler(limiter: limiter))
        let head = HTTPRequest(method: .get, scheme: "http", authority: "localhost", path: "/")
        try channel.writeInbound(HTTPRequestPart.head(head))
        // Busy: a second connection is refused rather than evicting this one.
        #expect(Self.outcome(limiter.opened(EmbeddedChannel())) == .refused)
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        let other = EmbeddedChannel()
        #expect(Self.outcome(limiter.opened(other)) == .evicting(ObjectIdentifier(channel)))
        limiter.closed(other)
        _ = try channel.finish()
        #expect(limiter.count == 0)
    }

    @Test("a connection whose first request head is not complete in time is closed; a complete one is kept")
    func headTimeout() throws {
        let limiter = ConnectionLimiter(maximum: 8)
        let slow = EmbeddedChannel()
        try slow.pipeline.syncOperations.addHandler(
            ConnectionAdmissionHandler(limiter: limiter, headTimeout: .seconds(2)))
        try slow.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try slow.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: local"))
        #expect(limiter.count == 1, "counted from accept, before any head")
        slow.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(!slow.isActive)
        #expect(limiter.count == 0)

        let prompt = EmbeddedChannel()
        try prompt.pipeline.syncOperations.addHandler(
            ConnectionAdmissionHandler(limiter: limiter, headTimeout: .seconds(2)))
        try prompt.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        // The blank line that ends the head straddles two reads.
        try prompt.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: localhost\r\n\r"))
        try prompt.writeInbound(ByteBuffer(string: "\n"))
        prompt.embeddedEventLoop.advanceTime(by: .seconds(3))
        #expect(prompt.isActive)
        _ = try? prompt.finish()
    }

    @Test("the cap keeps half the open-file limit for everything else")
    func capFollowsTheDescriptorLimit() {
        #expect(FileDescriptorLimit.connectionCap(configured: 1024, limit: 1_048_576) == 1024)
        #expect(FileDescriptorLimit.connectionCap(configured: 1024, limit: 1024) == 512)
        #expect(FileDescriptorLimit.connectionCap(configured: 1024, limit: 10) == 8)
        #expect(FileDescriptorLimit.connectionCap(configured: 50, limit: nil) == 50)
        let before = FileDescriptorLimit.current ?? 0
        let raised = FileDescriptorLimit.raise() ?? 0
        #expect(raised >= before)
    }
}
