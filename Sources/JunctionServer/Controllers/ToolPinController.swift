import Foundation
import Hummingbird
import JunctionCore
import JunctionInstall
import JunctionStore

/// Tool pinning (a defence against tool poisoning and rug pulls), per server:
/// - `GET /downstreams/{id}/tool-changes`: the tools quarantined because their definition changed
///   since it was approved, each with both definitions and a unified diff.
/// - `POST /downstreams/{id}/approve-tools` with optional `{"tools": ["name", …]}`: re-pins those
///   tools (every changed one, and any never pinned, without a body or with an empty list).
struct ToolPinController {
    let environment: ServerEnvironment

    var pins: ToolPinRepository { ToolPinRepository(environment.database) }

    struct ApproveRequest: Decodable, Sendable {
        var tools: [String]?
    }

    func addRoutes(to api: RouterGroup<APIContext>) {
        api.get("downstreams/:id/tool-changes", use: changes)
        api.post("downstreams/:id/approve-tools", use: approve)
    }

    @Sendable func changes(_ request: Request, context: APIContext) async throws -> JSONResponse<[ToolChange]> {
        let downstream = try DownstreamRepository(environment.database).get(context.parameters.require("id"))
        return JSONResponse(try pins.list(downstreamId: downstream.id, changedOnly: true).map(ToolChange.init))
    }

    @Sendable func approve(_ request: Request, context: APIContext) async throws -> JSONResponse<ToolApproval> {
        let downstream = try DownstreamRepository(environment.database).get(context.parameters.require("id"))
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        var names: [String] = []
        if buffer.readableBytes > 0 {
            do throws(StrictJSONValidator.Violation) {
                try StrictJSONValidator.validate(buffer.readableBytesView)
            } catch {
                throw APIError.badRequest("the body is not valid JSON: \(error)", field: error.path)
            }
            do {
                names =
                    try context.requestDecoder.decode(ApproveRequest.self, from: Data(buffer.readableBytesView))
                    .tools ?? []
            } catch let error as DecodingError {
                throw APIError.from(error)
            }
        }
        let approved = try pins.approve(downstreamId: downstream.id, tools: names)
        // Routing follows the generation bump by itself; reloading now shows the tools at once.
        _ = try? environment.engine.reloadConfiguration()
        let remaining = try pins.list(downstreamId: downstream.id, changedOnly: true).map(\.name)
        return JSONResponse(ToolApproval(serverId: downstream.id, approved: approved, remaining: remaining))
    }
}

/// What approving tools answers (REST and `junction server approve-tools --json`).
public struct ToolApproval: Encodable, Sendable {
    public var serverId: String
    public var approved: [String]
    /// Tools of the server still quarantined afterwards.
    public var remaining: [String]

    public init(serverId: String, approved: [String], remaining: [String]) {
        self.serverId = serverId
        self.approved = approved
        self.remaining = remaining
    }

    enum CodingKeys: String, CodingKey {
        case approved, remaining
        case serverId = "server_id"
    }
}

/// A quarantined tool as the API and the CLI show it: both definitions and their diff.
public struct ToolChange: Encodable, Sendable {
    public var pin: ToolPin

    public init(_ pin: ToolPin) {
        self.pin = pin
    }

    /// A unified diff from the approved definition to the changed one, pretty-printed with sorted
    /// keys so a changed description or schema shows as the lines it touches.
    public var diff: String {
        UnifiedDiff.make(
            old: Array(Self.pretty(pin.definition).utf8), new: Array(Self.pretty(pin.changedDefinition ?? "").utf8),
            oldLabel: "approved/\(pin.name)", newLabel: "changed/\(pin.name)")
    }

    enum CodingKeys: String, CodingKey {
        case diff
    }

    public func encode(to encoder: any Encoder) throws {
        try pin.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(diff, forKey: .diff)
    }

    static func pretty(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed]),
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return json }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
