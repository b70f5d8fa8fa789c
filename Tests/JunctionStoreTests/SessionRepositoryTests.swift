import Foundation
import JunctionCore
import JunctionStore
import Testing

@Suite("SessionRepository")
struct SessionRepositoryTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    static func at(_ seconds: Int) -> Date { t0.addingTimeInterval(TimeInterval(seconds)) }

    @Test("open records an active session with every field")
    func open() throws {
        let workspace = try store.workspace("app")
        let opened = try store.sessions.open(
            SessionInfo(
                id: "s1", clientName: "claude-code", clientVersion: "2.1.0", protocolVersion: "2025-06-18",
                transport: .socket, clientRoot: "/projects/app/src", workspaceId: workspace.id, startedAt: Self.t0))
        #expect(opened.status == .active && opened.lastSeenAt == Self.t0 && opened.endedAt == nil)
        #expect(try store.sessions.find("s1") == opened)
        #expect(try store.sessions.find("nope") == nil)
        #expect(try store.sessions.list() == [opened])
    }

    @Test("open always starts a session active, and refuses an id already used")
    func openNormalises() throws {
        let opened = try store.sessions.open(
            SessionInfo(id: "s1", status: .closed, startedAt: Self.t0, endedAt: Self.at(5)))
        #expect(opened.status == .active && opened.endedAt == nil)
        #expect(throws: StoreError.duplicate(kind: "session", field: "id", value: "s1")) {
            try store.sessions.open(SessionInfo(id: "s1"))
        }
    }

    @Test("a workspace that no longer exists is recorded as none; deleting one later clears it")
    func workspaceReferences() throws {
        let opened = try store.sessions.open(SessionInfo(id: "s1", workspaceId: "gone"))
        #expect(opened.workspaceId == nil)
        #expect(try store.sessions.find("s1")?.workspaceId == nil)

        let workspace = try store.workspace("app")
        try store.sessions.open(SessionInfo(id: "s2", workspaceId: workspace.id))
        try store.workspaces.delete("app")
        #expect(try store.sessions.find("s2")?.workspaceId == nil)
    }

    @Test("touch moves last_seen_at of active sessions only")
    func touch() throws {
        try store.sessions.open(SessionInfo(id: "s1", startedAt: Self.t0))
        #expect(try store.sessions.touch("s1", at: Self.at(30)))
        #expect(try store.sessions.find("s1")?.lastSeenAt == Self.at(30))
        #expect(try store.sessions.touch("nope") == false)

        try store.sessions.close("s1", at: Self.at(40))
        #expect(try store.sessions.touch("s1", at: Self.at(50)) == false)
        #expect(try store.sessions.find("s1")?.lastSeenAt == Self.at(40))
    }

    @Test("close ends a session once; closing again keeps the first end time")
    func close() throws {
        try store.sessions.open(SessionInfo(id: "s1", startedAt: Self.t0))
        let closed = try #require(try store.sessions.close("s1", at: Self.at(60)))
        #expect(closed.status == .closed && closed.endedAt == Self.at(60) && closed.lastSeenAt == Self.at(60))
        let again = try store.sessions.close("s1", at: Self.at(90))
        #expect(again == closed)
        #expect(try store.sessions.close("nope") == nil)
    }

    @Test("list shows newest first, all or only active or only closed sessions")
    func list() throws {
        for (index, id) in ["a", "b", "c", "d"].enumerated() {
            try store.sessions.open(SessionInfo(id: id, startedAt: Self.at(index)))
        }
        try store.sessions.close("b")
        try store.sessions.close("d")
        #expect(try store.sessions.list().map(\.id) == ["d", "c", "b", "a"])
        #expect(try store.sessions.list(active: true).map(\.id) == ["c", "a"])
        #expect(try store.sessions.list(active: false).map(\.id) == ["d", "b"])
        #expect(try store.sessions.list(limit: 2).map(\.id) == ["d", "c"])
    }

    @Test("closeAll closes stale sessions as of when they were last seen, except those named")
    func closeAll() throws {
        try store.sessions.open(SessionInfo(id: "stale1", startedAt: Self.t0))
        try store.sessions.touch("stale1", at: Self.at(100))
        try store.sessions.open(SessionInfo(id: "stale2", startedAt: Self.at(10)))
        try store.sessions.open(SessionInfo(id: "live", startedAt: Self.at(20)))
        try store.sessions.open(SessionInfo(id: "done", startedAt: Self.at(30)))
        try store.sessions.close("done", at: Self.at(35))

        #expect(try store.sessions.closeAll(except: ["live"]) == 2)
        let stale1 = try #require(try store.sessions.find("stale1"))
        #expect(stale1.status == .closed && stale1.endedAt == Self.at(100))
        #expect(try store.sessions.find("stale2")?.endedAt == Self.at(10))
        #expect(try store.sessions.find("done")?.endedAt == Self.at(35))
        #expect(try store.sessions.list(active: true).map(\.id) == ["live"])

        #expect(try store.sessions.closeAll() == 1)
        #expect(try store.sessions.list(active: true).isEmpty)
        #expect(try store.sessions.closeAll() == 0)
    }

    @Test("prune deletes closed sessions that ended before the cutoff")
    func prune() throws {
        try store.sessions.open(SessionInfo(id: "old", startedAt: Self.t0))
        try store.sessions.close("old", at: Self.at(10))
        try store.sessions.open(SessionInfo(id: "recent", startedAt: Self.t0))
        try store.sessions.close("recent", at: Self.at(100))
        try store.sessions.open(SessionInfo(id: "active", startedAt: Self.t0))
        #expect(try store.sessions.prune(closedBefore: Self.at(50)) == 1)
        #expect(try store.sessions.list().map(\.id).sorted() == ["active", "recent"])
    }

    @Test("JSON encoding writes every key in snake_case, absent values as null")
    func encoding() throws {
        let session = SessionInfo(id: "s1", transport: .http, startedAt: Self.t0)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .secondsSince1970
        let json = String(decoding: try encoder.encode(session), as: UTF8.self)
        #expect(
            json == #"{"client_name":null,"client_root":null,"client_version":null,"ended_at":null,"id":"s1","#
                + #""last_seen_at":1700000000,"protocol_version":null,"started_at":1700000000,"status":"active","#
                + #""transport":"http","workspace_id":null}"#)
    }
}
