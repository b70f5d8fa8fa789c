import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JunctionCore
import JunctionGateway
import JunctionInstall
import JunctionStore
import NIOCore
import Testing

@testable import JunctionServer

/// The admin API's router over a real engine and database in a temporary JUNCTION_HOME,
/// exercised in-process with Hummingbird's router test client.
final class APIHarness: Sendable {
    static let key = "test-key-0123456789"

    let directory: TemporaryDirectory
    let home: JunctionHome
    let database: AppDatabase
    let engine: GatewayEngine
    let environment: ServerEnvironment

    init(allowRemote: Bool = false, allowedHosts: [String] = [], heavyReads: AdmissionGate? = nil) throws {
        directory = try TemporaryDirectory()
        home = JunctionHome(path: directory.file("home"))
        try home.ensureExists()
        database = try AppDatabase.open(path: home.databasePath)
        engine = try GatewayEngine(home: home, database: database)
        var environment = ServerEnvironment(engine: engine, apiKey: Self.key, allowRemote: allowRemote)
        environment.allowedHosts = allowedHosts
        if let heavyReads { environment.heavyReads = heavyReads }
        // Client configuration lives in a sandbox: no test touches the real home folder.
        environment.clients = ClientEnvironment(
            platform: .linux,
            variables: ["HOME": directory.file("user"), "XDG_CONFIG_HOME": directory.file("user/.config")])
        self.environment = environment
    }

    /// Runs `body` with a client of the router (in process, or over a live loopback socket with
    /// `.live`); requests carry the API key unless `authorized` is false.
    func test(_ setup: TestingSetup = .router, _ body: @Sendable (APIClient) async throws -> Void) async throws {
        let app = Application(router: buildRouter(environment))
        try await app.test(setup) { client in
            try await body(APIClient(client: client))
        }
        await engine.shutdown()
    }
}

/// A thin wrapper that adds the key and JSON bodies.
struct APIClient: Sendable {
    let client: any TestClientProtocol

    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: String

        /// The body as a JSON object (fails the test if it is not one).
        func json() throws -> [String: Any] {
            let value = try JSONSerialization.jsonObject(with: Data(body.utf8))
            return try #require(value as? [String: Any], "not a JSON object: \(body)")
        }

        func jsonArray() throws -> [[String: Any]] {
            let value = try JSONSerialization.jsonObject(with: Data(body.utf8))
            return try #require(value as? [[String: Any]], "not a JSON array: \(body)")
        }
    }

    func request(
        _ method: HTTPRequest.Method, _ uri: String, json: String? = nil, headers extra: HTTPFields = [:],
        key: String? = APIHarness.key
    ) async throws -> Reply {
        var headers = extra
        if let key { headers[HTTPField.Name("X-API-Key")!] = key }
        if json != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let body = json.map { ByteBuffer(string: $0) }
        return try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
            Reply(status: response.status, headers: response.headers, body: String(buffer: response.body))
        }
    }

    func get(_ uri: String, key: String? = APIHarness.key) async throws -> Reply {
        try await request(.get, uri, key: key)
    }

    func post(_ uri: String, _ json: String) async throws -> Reply {
        try await request(.post, uri, json: json)
    }

    func put(_ uri: String, _ json: String) async throws -> Reply {
        try await request(.put, uri, json: json)
    }

    func delete(_ uri: String) async throws -> Reply {
        try await request(.delete, uri)
    }
}
