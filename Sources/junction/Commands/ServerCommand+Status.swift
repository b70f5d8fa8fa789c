import ArgumentParser
import Foundation
import JunctionCore
import JunctionServer
import JunctionStore

/// `junction server update` (a stored definition's limits) and `junction server status` (what the
/// running daemon's pool and health checks say of each server).
extension ServerCommand {
    /// `--max-concurrent-calls`: a number, or `default` to follow the setting.
    struct ConcurrencyCap: ExpressibleByArgument {
        var value: Int?

        init?(argument: String) {
            if argument == "default" {
                value = nil
            } else if let number = Int(argument), number >= 0 {
                value = number
            } else {
                return nil
            }
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change a server's limits (running processes stop; the next call starts the new definition).")

        @Argument(help: "Server name or id.") var name: String
        @Option(
            help: ArgumentHelp(
                "Tool calls it runs at once, more wait in line (0: no cap; default: the setting "
                    + "max_concurrent_calls).", valueName: "N|default"))
        var maxConcurrentCalls: ConcurrencyCap?
        @Option(help: ArgumentHelp("Seconds before an idle server is stopped (0: never).", valueName: "SECONDS"))
        var idleTimeout: Int?
        @Option(help: ArgumentHelp("Seconds a tool call may take.", valueName: "SECONDS"))
        var callTimeout: Int?
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if maxConcurrentCalls == nil && idleTimeout == nil && callTimeout == nil {
                throw ArgumentParser.ValidationError(
                    "nothing to change: give --max-concurrent-calls, --idle-timeout or --call-timeout")
            }
        }

        func run() throws {
            let context = try CLIContext.open()
            var server = try context.downstreams.get(name)
            if let cap = maxConcurrentCalls { server.maxConcurrentCalls = cap.value }
            if let idleTimeout { server.idleTimeoutSec = idleTimeout }
            if let callTimeout { server.callTimeoutSec = callTimeout }
            let saved = try context.downstreams.update(server)
            if output.json { return try Output.json(saved) }
            print("Updated server '\(saved.name)': \(ServerCommand.limits(saved)).")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what runs: each server's processes and health checks, from the running daemon.")

        @Argument(help: "Server name or id (all servers when absent).") var name: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = LocalAPIClient(home: JunctionHome.resolve(), purpose: "servers run inside the daemon")
            let path =
                name.map {
                    "/api/v1/downstreams/" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)
                }
                ?? "/api/v1/downstreams"
            let data: Data
            do {
                data = try await client.data("GET", path)
            } catch let error as LocalAPIError where error.status == 404 {
                throw CLIError("server '\(name ?? "")' not found. List them: junction server list")
            }
            if output.json {
                print(String(decoding: data, as: UTF8.self))
                return
            }
            let decoded = try JSONDecoder().decode(JSONValue.self, from: data)
            let servers = decoded.arrayValue ?? [decoded]
            if let name, let server = servers.first {
                print("server:        \(server["name"]?.stringValue ?? name)")
                for (label, value) in ServerCommand.statusLines(server) {
                    print("\(label):".padding(toLength: 15, withPad: " ", startingAt: 0) + value)
                }
                return
            }
            if servers.isEmpty {
                print("No servers. Add one: junction server add NAME -- COMMAND [ARGS...]")
                return
            }
            Output.table(
                ["NAME", "STATE", "INSTANCES", "HEALTH", "LAST CHECK", "FAILURES", "ERRORS"],
                servers.map { server in
                    let status = server["status"]
                    let health = status?["health"]
                    return [
                        server["name"]?.stringValue ?? "-", status?["state"]?.stringValue ?? "-",
                        status?["instances"]?.integerValue.map { String($0) } ?? "-",
                        health?["state"]?.stringValue ?? "-", health?["last_check"]?.stringValue ?? "-",
                        health?["consecutive_failures"]?.integerValue.map { String($0) } ?? "-",
                        health?["error_count"]?.integerValue.map { String($0) } ?? "-",
                    ]
                })
        }
    }

    /// The labelled lines `server status NAME` prints from a server as the API shows it.
    static func statusLines(_ server: JSONValue) -> [(String, String)] {
        let status = server["status"]
        let health = status?["health"]
        func text(_ value: JSONValue?) -> String {
            if let string = value?.stringValue { return string }
            if let number = value?.integerValue { return String(number) }
            return "-"
        }
        var lines: [(String, String)] = [
            ("state", text(status?["state"])), ("instances", text(status?["instances"])),
            ("crashes", text(status?["crashes"])),
        ]
        if let error = status?["last_error"]?.stringValue { lines.append(("last error", error)) }
        lines += [
            ("health", text(health?["state"])), ("last check", text(health?["last_check"])),
            ("last result", text(health?["last_result"])), ("response time", text(health?["response_time_ms"]) + " ms"),
            ("failures", text(health?["consecutive_failures"]) + " in a row"),
            ("errors", text(health?["error_count"]) + " failed checks"),
            ("max calls", server["max_concurrent_calls"]?.integerValue.map { String($0) } ?? "the setting"),
        ]
        return lines
    }

    /// A server's limits in words.
    static func limits(_ server: Downstream) -> String {
        let cap = server.maxConcurrentCalls.map { $0 == 0 ? "no cap" : "\($0)" } ?? "the setting max_concurrent_calls"
        return
            "max concurrent calls \(cap), idle timeout \(server.idleTimeoutSec)s, call timeout \(server.callTimeoutSec)s"
    }

    /// Each server's pool state and health state by id, from the running daemon; empty when none
    /// answers.
    static func liveStatus() async -> [String: (state: String, health: String)] {
        let client = LocalAPIClient(home: JunctionHome.resolve())
        guard let data = try? await client.data("GET", "/api/v1/downstreams"),
            let servers = (try? JSONDecoder().decode(JSONValue.self, from: data))?.arrayValue
        else { return [:] }
        var byId: [String: (state: String, health: String)] = [:]
        for server in servers {
            guard let id = server["id"]?.stringValue, let status = server["status"] else { continue }
            byId[id] = (status["state"]?.stringValue ?? "-", status["health"]?["state"]?.stringValue ?? "-")
        }
        return byId
    }
}

extension JSONValue {
    /// An object's member, nil for anything else.
    fileprivate subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    fileprivate var arrayValue: [JSONValue]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
