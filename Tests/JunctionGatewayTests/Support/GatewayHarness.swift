import Foundation
import JunctionCore
import JunctionStore
import Testing

@testable import JunctionGateway

/// A gateway engine on a temporary JUNCTION_HOME with a real database configured for the fake
/// server, running its background work, with sessions whose output a `Transcript` collects.
final class GatewayHarness: Sendable {
    let directory: TemporaryDirectory
    let home: JunctionHome
    let database: AppDatabase
    let engine: GatewayEngine
    let workspace: Workspace
    let fake: Downstream
    private let runner: Task<Void, Never>

    /// The default configuration: workspace "proj" (allow by default), the fake server as "fake",
    /// rule "no-crash" denying fake__crash and rule "ask-first" requiring approval for fake__stderr.
    /// `extraServers` are configured too, after the fake.
    init(server: Downstream = FakeServer.downstream(), extraServers: [Downstream] = []) throws {
        directory = try TemporaryDirectory()
        home = JunctionHome(path: directory.file("home"))
        try home.ensureExists()
        database = try AppDatabase.open(path: home.databasePath)
        let root = directory.file("proj")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        workspace = try WorkspaceRepository(database).create(
            Workspace(name: "proj", rootPath: root, defaultPolicy: .allow))
        fake = try DownstreamRepository(database).create(server)
        for extra in extraServers { try DownstreamRepository(database).create(extra) }
        let routes = RouteRuleRepository(database)
        try routes.create(
            RouteRule(name: "no-crash", workspaceId: workspace.id, toolPattern: "fake__crash", policy: .deny))
        try routes.create(
            RouteRule(name: "ask-first", workspaceId: workspace.id, toolPattern: "fake__stderr", policy: .approve))
        engine = try GatewayEngine(home: home, database: database)
        let engine = engine
        // Cancelled in shutdown().
        runner = Task { await engine.run() }
    }

    /// A session pinned to the workspace, with its transcript.
    func client() -> TestClient {
        let transcript = Transcript()
        let session = engine.makeSession(target: .workspace(workspace.name), pinned: true) { bytes in
            transcript.receive(bytes)
        }
        return TestClient(session: session, transcript: transcript)
    }

    /// The running instance of the fake server.
    func fakeInstance() async throws -> DownstreamInstance {
        try #require(await engine.pool.running().first { $0.downstream.id == fake.id })
    }

    /// Whether the fake's stderr (requests and cancellations it received) has a line containing `text`.
    func fakeLogged(_ text: String) async -> Bool {
        await engine.pool.running().contains { instance in instance.stderrTail.contains { $0.contains(text) } }
    }

    /// How many lines of the fake's stderr contain `text`.
    func fakeLogCount(_ text: String) async -> Int {
        await engine.pool.running().map { instance in instance.stderrTail.filter { $0.contains(text) }.count }
            .reduce(0, +)
    }

    /// Stops everything and checks no process is left behind.
    func shutdown() async throws {
        let pids = await engine.pool.running().compactMap(\.pid)
        await engine.shutdown()
        runner.cancel()
        for pid in pids {
            try await waitUntil("process \(pid) is gone after shutdown") { processIsGone(pid) }
        }
    }
}

/// Runs `body` with a fresh harness and always shuts it down.
func withGateway(
    server: Downstream = FakeServer.downstream(), extraServers: [Downstream] = [],
    _ body: (GatewayHarness) async throws -> Void
) async throws {
    let harness = try GatewayHarness(server: server, extraServers: extraServers)
    do {
        try await body(harness)
    } catch {
        try? await harness.shutdown()
        throw error
    }
    try await harness.shutdown()
}

/// A client of one session: sends lines, reads the transcript.
struct TestClient: Sendable {
    let session: GatewaySession
    let transcript: Transcript

    func send(_ line: String) {
        session.receive(.line(Array(line.utf8)))
    }

    /// Sends a request (id and params as raw JSON) and waits for its response.
    func request(_ method: String, id: String, params: String? = nil) async throws -> JSONRPCMessage {
        send(requestLine(method, id: id, params: params))
        return try await transcript.response(to: id)
    }

    func requestLine(_ method: String, id: String, params: String? = nil) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)""# + (params.map { #","params":\#($0)"# } ?? "") + "}"
    }

    func notify(_ method: String, params: String? = nil) {
        send(#"{"jsonrpc":"2.0","method":"\#(method)""# + (params.map { #","params":\#($0)"# } ?? "") + "}")
    }

    /// initialize + notifications/initialized; returns the initialize result.
    @discardableResult
    func initialize(version: String = "2025-06-18") async throws -> RawJSON {
        let response = try await request(
            "initialize", id: "0",
            params: #"{"protocolVersion":"\#(version)","capabilities":{},"clientInfo":{"name":"tests","version":"1"}}"#)
        notify("notifications/initialized")
        return try #require(response.result)
    }

    /// tools/call; `arguments` and `meta` as raw JSON.
    func callTool(_ name: String, id: String, arguments: String = "{}", meta: String? = nil) async throws
        -> JSONRPCMessage
    {
        send(callLine(name, id: id, arguments: arguments, meta: meta))
        return try await transcript.response(to: id)
    }

    func callLine(_ name: String, id: String, arguments: String = "{}", meta: String? = nil) -> String {
        let params = #"{"name":"\#(name)","arguments":\#(arguments)"# + (meta.map { #","_meta":\#($0)"# } ?? "") + "}"
        return requestLine("tools/call", id: id, params: params)
    }
}
