import ArgumentParser
import Foundation
import JunctionCore
import JunctionServer
import JunctionStore

/// Tool pinning: review and approve tools quarantined because their definition changed.
extension ServerCommand {
    struct ToolChanges: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tool-changes",
            abstract: "Show the tools of a server quarantined because their definition changed, with the diff.")

        @Argument(help: "Server name or id.") var name: String
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let server = try context.downstreams.get(name)
            let changes = try ToolPinRepository(context.database).list(downstreamId: server.id, changedOnly: true)
                .map(ToolChange.init)
            if output.json { return try Output.json(changes) }
            if changes.isEmpty {
                print("No tool of '\(server.name)' changed since it was approved.")
                return
            }
            for change in changes {
                let since = change.pin.changedAt.map(Output.timestamp) ?? "?"
                print("Tool '\(change.pin.name)' changed (seen \(since)); quarantined until approved:")
                print(change.diff)
            }
            print("Approve: junction server approve-tools \(Output.shellWord(server.name)) [TOOL...]")
        }
    }

    struct ApproveTools: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve-tools",
            abstract: "Approve (re-pin) changed tools of a server; all of them when none is named.")

        @Argument(help: "Server name or id.") var name: String
        @Argument(help: "Tools to approve, by the server's names for them (default: every changed tool).")
        var tools: [String] = []
        @OptionGroup var output: OutputOptions

        func run() throws {
            let context = try CLIContext.open()
            let server = try context.downstreams.get(name)
            let pins = ToolPinRepository(context.database)
            let approved = try pins.approve(downstreamId: server.id, tools: tools)
            let remaining = try pins.list(downstreamId: server.id, changedOnly: true).map(\.name)
            if output.json {
                return try Output.json(ToolApproval(serverId: server.id, approved: approved, remaining: remaining))
            }
            print(
                approved.isEmpty
                    ? "Nothing to approve for '\(server.name)'."
                    : "Approved \(approved.joined(separator: ", ")) of '\(server.name)'.")
            if !remaining.isEmpty { print("Still quarantined: \(remaining.joined(separator: ", ")).") }
        }
    }
}
