import ArgumentParser
import Foundation
import JunctionCore
import JunctionStore

/// `junction server quarantine NAME` and `junction server approve NAME`: a quarantined server's
/// tools are hidden from every client and calls to them are refused, until it is approved.
extension ServerCommand {
    struct Quarantine: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Quarantine a server: its tools are hidden from every client and calls to them refused.")
        @Argument(help: "Server name or id.") var name: String

        func run() throws {
            let server = try CLIContext.open().downstreams.setQuarantined(name, true)
            print("Server '\(server.name)' is quarantined. Release it with: junction server approve \(server.name)")
        }
    }

    struct Approve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a quarantined server: its tools become visible and callable again.")
        @Argument(help: "Server name or id.") var name: String

        func run() throws {
            let server = try CLIContext.open().downstreams.setQuarantined(name, false)
            print("Server '\(server.name)' is approved; its tools appear as \(server.namespace)__<tool>.")
        }
    }
}
