import Foundation
import JunctionCore
import JunctionStore

extension EventType {
    /// Tools of a server were quarantined because their definitions changed since they were
    /// approved (tool pinning): ``EventPayload/ToolsQuarantined``.
    public static let toolsQuarantined = "tools.quarantined"
}

extension EventPayload {
    public struct ToolsQuarantined: Codable, Sendable, Hashable {
        public var serverId: String
        public var serverName: String
        /// The server's names for the tools newly quarantined.
        public var tools: [String]
        /// What to run to review and approve them.
        public var action: String

        enum CodingKeys: String, CodingKey {
            case tools, action
            case serverId = "server_id"
            case serverName = "server_name"
        }
    }
}

/// Tool pinning at discovery: a tool whose definition changed since it was approved is
/// quarantined (the pin's table bumps the routing generation, so routing hides and refuses it).
extension GatewayEngine {
    func checkPins(of downstream: Downstream, tools: [CatalogRepository.Discovered]) {
        let quarantined: [String]
        do {
            quarantined = try ToolPinRepository(database).observe(downstreamId: downstream.id, tools: tools)
        } catch {
            Self.logger.error("tool pins of '\(downstream.name)' not checked: \(error)")
            return
        }
        guard !quarantined.isEmpty else { return }
        Self.logger.warning(
            "server '\(downstream.name)': tools \(quarantined.joined(separator: ", ")) changed since approved; quarantined"
        )
        // Routing follows the generation bump on its own; reloading now hides the tools at once.
        _ = try? reloadConfiguration()
        events.publish(
            EventType.toolsQuarantined,
            EventPayload.ToolsQuarantined(
                serverId: downstream.id, serverName: downstream.name, tools: quarantined,
                action:
                    "junction server tool-changes \(downstream.name); junction server approve-tools \(downstream.name)"
            ))
    }
}
