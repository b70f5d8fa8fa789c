import ArgumentParser
import Foundation
import JunctionCore
import JunctionServer
import JunctionStore

struct ApprovalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract: "Decide on tool calls parked for approval (rules with policy approve).",
        discussion: """
            Parked calls wait in the running daemon (junction serve, or the one junction stdio
            starts); these commands ask it over JUNCTION_HOME/junction.sock, no API key needed.
            """,
        subcommands: [List.self, Show.self, Approve.self, Deny.self, Watch.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List approvals, newest first (pending by default).")
        @Option(
            help: ArgumentHelp(
                "pending, approved, denied, timed_out, cancelled, expired or all.", valueName: "STATUS"))
        var status = "pending"
        @Option(help: "At most this many (1…1000).") var limit = 100
        @OptionGroup var output: OutputOptions

        func validate() throws {
            if status != "all" && Approval.Status(rawValue: status) == nil {
                let known = (Approval.Status.allCases.map(\.rawValue) + ["all"]).joined(separator: ", ")
                throw ArgumentParser.ValidationError("--status must be one of \(known)")
            }
            guard (1...1000).contains(limit) else { throw ArgumentParser.ValidationError("--limit must be 1…1000") }
        }

        func run() async throws {
            let data = try await ApprovalsCommand.client().data(
                "GET", "/api/v1/approvals?status=\(status)&limit=\(limit)")
            let list = try JSONDecoder().decode(JSONValue.self, from: data)
            if output.json { return try Output.json(list) }
            guard case .array(let values) = list else { throw ApprovalsCommand.unexpected() }
            let approvals = try values.map(Entry.init)
            guard !approvals.isEmpty else {
                switch status {
                case "pending":
                    print("No pending approvals. Calls wait here when their route has --policy approve.")
                case "all": print("No approvals yet.")
                default: print("No approvals with status \(status).")
                }
                return
            }
            let now = Date()
            Output.table(
                ["ID", "AGE", "TOOL", "WORKSPACE", "CLIENT", "STATUS", "EXPIRES IN"],
                approvals.map { approval in
                    [
                        approval.id, approval.date(.createdAt).map { Entry.span(now.timeIntervalSince($0)) } ?? "-",
                        approval.tool, approval.text(.workspaceName) ?? "-", approval.text(.clientName) ?? "-",
                        approval.statusText, approval.expiresIn(now: now) ?? "-",
                    ]
                })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one approval with the call's arguments.")
        @Argument(help: "Approval id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let data = try await ApprovalsCommand.request(id) { try await $0.data("GET", "/api/v1/approvals/\($1)") }
            let value = try JSONDecoder().decode(JSONValue.self, from: data)
            if output.json { return try Output.json(value) }
            let approval = try Entry(value)
            let now = Date()
            func line(_ label: String, _ text: String?) {
                print((label + ":").padding(toLength: 13, withPad: " ", startingAt: 0) + (text ?? "-"))
            }
            func when(_ key: Approval.CodingKeys) -> String? {
                guard let text = approval.text(key), let date = approval.date(key) else { return approval.text(key) }
                let seconds = now.timeIntervalSince(date)
                return seconds >= 0 ? "\(text) (\(Entry.span(seconds)) ago)" : "\(text) (in \(Entry.span(-seconds)))"
            }
            line("id", approval.id)
            line("status", approval.statusText)
            line("tool", approval.tool)
            line("server", approval.text(.downstreamName).map { "\($0) (\(approval.text(.downstreamId) ?? "-"))" })
            line("workspace", approval.text(.workspaceName))
            line("client", approval.text(.clientName))
            line("session", approval.text(.sessionId))
            line("rule", approval.text(.ruleId))
            line("created", when(.createdAt))
            line("timeout", approval[.timeoutSec]?.integerValue.map { "\($0) s" })
            line("expires", approval.status == "pending" ? when(.expiresAt) : approval.text(.expiresAt))
            line("resolution", approval.text(.resolution))
            line("resolved by", approval.text(.resolvedBy))
            line("resolved at", when(.resolvedAt))
            line("remember", approval.text(.remember))
            guard let params = approval[.params], params != .null else { return line("params", nil) }
            print("params:")
            print(try Entry.pretty(params).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a parked call: it goes on to its server and the client gets the result.")
        @Argument(help: "Approval id.") var id: String
        @Option(help: ArgumentHelp("A note kept with the approval.", valueName: "TEXT")) var note: String?
        @Option(
            help: ArgumentHelp(
                "Also allow later calls of the tool: in this session, or with an allow rule in the workspace.",
                valueName: "session|workspace"))
        var remember: Remember?
        @OptionGroup var output: OutputOptions

        enum Remember: String, ExpressibleByArgument, CaseIterable {
            case session, workspace
        }

        func run() async throws {
            let body = ResolveRequest(
                approved: true, resolution: note,
                remember: remember.flatMap { Approval.Remember(rawValue: $0.rawValue) })
            try await ApprovalsCommand.resolve(id, body, json: output.json)
        }
    }

    struct Deny: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deny a parked call: the client gets an error result with the note.")
        @Argument(help: "Approval id.") var id: String
        @Option(help: ArgumentHelp("Why; the model sees it in the error result.", valueName: "TEXT")) var note: String?
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await ApprovalsCommand.resolve(id, ResolveRequest(approved: false, resolution: note), json: output.json)
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print each pending approval, then each new one and each decision as it happens, until Ctrl-C.",
            discussion: """
                One line per event. With --json each line is {"event", "id", "data"}: the
                approval for approval.pending and approval.requested, {"approval", "rule"} for
                approval.resolved.
                """)
        @OptionGroup var output: OutputOptions

        func run() async throws {
            // Leaving the loop (an error, or the end) closes the connection.
            let stream = try await ApprovalsCommand.client().events("/api/v1/approvals/stream")
            if !output.json {
                FileHandle.standardError.write(Data("junction: watching approvals; Ctrl-C to stop\n".utf8))
            }
            var announced = Set<String>()
            for try await event in stream {
                let payload = try? JSONDecoder().decode(JSONValue.self, from: Data(event.data.utf8))
                let approval = ApprovalsCommand.approval(in: payload, event: event.event)
                if event.event == "approval.pending", let approval { announced.insert(approval.id) }
                // Subscribed before the pending ones were listed: one created in between comes twice.
                if event.event == "approval.requested", let approval, announced.remove(approval.id) != nil { continue }
                if output.json {
                    let line = WatchLine(event: event.event, id: event.id, data: payload ?? .string(event.data))
                    print(String(decoding: try APICoding.encoder.encode(line), as: UTF8.self))
                } else if let text = ApprovalsCommand.describe(event: event.event, approval, payload) {
                    print(text)
                }
                fflush(nil)
                if event.event == "stream.closed" || event.event == "stream.dropped" {
                    let reason = payload.flatMap(ApprovalsCommand.reason) ?? event.event
                    throw DaemonError.unreachable("the Junction daemon ended the stream: \(reason)")
                }
            }
            throw DaemonError.unreachable("the Junction daemon ended the stream (it stopped or went away)")
        }
    }

    /// One `watch --json` line.
    struct WatchLine: Encodable {
        var event: String
        var id: String?
        var data: JSONValue

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(event, forKey: .event)
            // Event ids are integers (below 2^53); the first, listed pending ones have none.
            if let id, let number = Int64(id) {
                try container.encode(number, forKey: .id)
            } else {
                try container.encode(id, forKey: .id)
            }
            try container.encode(data, forKey: .data)
        }

        enum CodingKeys: String, CodingKey {
            case event, id, data
        }
    }

    /// `POST /api/v1/approvals/{id}/resolve`'s body.
    struct ResolveRequest: Encodable {
        var approved: Bool
        var resolution: String?
        var remember: Approval.Remember?
    }

    // MARK: - Talking to the daemon

    static func client() -> LocalAPIClient {
        LocalAPIClient(home: JunctionHome.resolve(), purpose: "parked calls live in the daemon")
    }

    /// Runs a request about approval `id` (percent-encoded for the path); a 404 says how to find
    /// the right id.
    static func request(_ id: String, _ perform: (LocalAPIClient, String) async throws -> Data) async throws -> Data {
        let segment = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id
        do {
            return try await perform(client(), segment)
        } catch let error as LocalAPIError where error.status == 404 {
            throw CLIError("approval '\(id)' not found. List them: junction approvals list --status all")
        }
    }

    static func resolve(_ id: String, _ body: ResolveRequest, json: Bool) async throws {
        let data: Data
        do {
            data = try await request(id) { try await $0.data("POST", "/api/v1/approvals/\($1)/resolve", body: body) }
        } catch let error as LocalAPIError where error.code == "already_resolved" {
            guard let details = error.details, let current = try? Entry(details) else {
                throw CLIError(error.message)
            }
            let who =
                current.text(.resolvedBy).map { " (by \($0))" } ?? current.text(.resolution).map { " (\($0))" } ?? ""
            throw CLIError("approval \(current.id) is already \(current.statusText)\(who)")
        } catch let error as LocalAPIError where error.field == "remember" {
            // The API's wording names its JSON field; say it with the option.
            throw CLIError(
                "approval \(id) was not made in a workspace, so there is none to remember it in; "
                    + "use --remember session, or leave --remember out")
        }
        let value = try JSONDecoder().decode(JSONValue.self, from: data)
        if json { return try Output.json(value) }
        guard case .object(let members) = value, let approvalValue = members["approval"] else { throw unexpected() }
        let approval = try Entry(approvalValue)
        let place = "\(approval.tool)\(approval.text(.workspaceName).map { " in workspace \($0)" } ?? "")"
        if body.approved {
            print("Approved \(approval.id) (\(place)): the call goes through.")
        } else {
            let what = approval.text(.resolution) == nil ? "saying a reviewer denied it" : "with your note"
            print("Denied \(approval.id) (\(place)): the client gets an error result \(what).")
        }
        if let note = approval.text(.resolution) { print("Note: \(note)") }
        if approval.text(.remember) == "session" {
            print("Later calls of \(approval.tool) in this session go through without asking.")
        }
        // As `junction route add` says it.
        if let rule = try? APICoding.decoder.decode(ResolvedRule.self, from: data).rule {
            let name = rule.name.map { "'\($0)' " } ?? ""
            let scope = approval.text(.workspaceName).map { "workspace '\($0)'" } ?? "the workspace"
            print("Added route \(name)\(rule.id): \(rule.policy.rawValue) \(rule.toolPattern) in \(scope).")
        }
    }

    private struct ResolvedRule: Decodable {
        var rule: RouteRule?
    }

    static func unexpected() -> DaemonError {
        .unreachable("the Junction daemon's answer is not what this junction expects; is it another version?")
    }

    // MARK: - Watch lines

    /// The approval an event is about: the payload itself, or its `approval` member.
    static func approval(in payload: JSONValue?, event: String) -> Entry? {
        guard case .object(let members)? = payload else { return nil }
        if event == "approval.resolved" { return members["approval"].flatMap { try? Entry($0) } }
        return payload.flatMap { try? Entry($0) }
    }

    static func reason(_ payload: JSONValue) -> String? {
        guard case .object(let members) = payload else { return nil }
        return members["reason"]?.stringValue
    }

    /// `12:00:01  requested  ID  TOOL  …`: one line for an event, nil for one that says nothing.
    static func describe(event: String, _ approval: Entry?, _ payload: JSONValue?) -> String? {
        let clock = Calendar.current.dateComponents([.hour, .minute, .second], from: Date())
        let time = [clock.hour, clock.minute, clock.second].map { String(format: "%02ld", $0 ?? 0) }
            .joined(separator: ":")
        guard let approval else {
            if event.hasPrefix("stream.") { return nil }
            return "\(time)  \(event)"
        }
        let label: String
        var details: [String] = []
        switch event {
        case "approval.pending", "approval.requested":
            label = event == "approval.pending" ? "pending" : "requested"
            var place = [approval.text(.workspaceName).map { "workspace \($0)" } ?? "no workspace"]
            if let client = approval.text(.clientName) { place.append("client \(client)") }
            details.append(place.joined(separator: ", "))
            if let expires = approval.expiresIn(now: Date()) { details.append("expires in \(expires)") }
        default:
            label = approval.statusText
            // `by local user: the note`, or why it ended on its own (`nobody decided within 60 s`).
            let decision = [approval.text(.resolvedBy).map { "by \($0)" }, approval.text(.resolution)].compactMap(
                \.self)
            if !decision.isEmpty { details.append(decision.joined(separator: ": ")) }
            if case .object(let members)? = payload, let rule = members["rule"], case .object(let fields) = rule {
                let name = fields["name"]?.stringValue ?? fields["id"]?.stringValue ?? "?"
                details.append("added route \(name)")
            }
        }
        let padded = label.padding(toLength: max(label.count, 9), withPad: " ", startingAt: 0)
        return "\(time)  \(padded)  \(approval.id)  \(approval.tool)  \(details.joined(separator: "; "))"
    }

    /// An approval as the API returned it, read field by field by its REST names
    /// (``Approval/CodingKeys``); `--json` prints the API's JSON itself.
    struct Entry {
        private let fields: [String: JSONValue]

        init(_ value: JSONValue) throws {
            guard case .object(let fields) = value, fields["id"]?.stringValue != nil else {
                throw ApprovalsCommand.unexpected()
            }
            self.fields = fields
        }

        subscript(_ key: Approval.CodingKeys) -> JSONValue? { fields[key.rawValue] }

        func text(_ key: Approval.CodingKeys) -> String? { self[key]?.stringValue }

        func date(_ key: Approval.CodingKeys) -> Date? {
            text(key).flatMap { try? Date.ISO8601FormatStyle().parse($0) }
        }

        var id: String { text(.id) ?? "?" }
        var tool: String { text(.toolName) ?? "?" }
        var status: String { text(.status) ?? "?" }
        /// The status for people: `timed out`, not `timed_out`.
        var statusText: String { status.replacingOccurrences(of: "_", with: " ") }

        /// Time left for a pending approval ("due" once past), nil for any other.
        func expiresIn(now: Date) -> String? {
            guard status == Approval.Status.pending.rawValue, let expires = date(.expiresAt) else { return nil }
            let seconds = expires.timeIntervalSince(now)
            return seconds > 0 ? Self.span(seconds) : "due"
        }

        /// `42s`, `4m 12s`, `2h 5m`, `3d 4h`.
        static func span(_ seconds: TimeInterval) -> String {
            let total = max(0, Int(seconds.rounded()))
            let (days, hours, minutes, rest) = (total / 86400, total / 3600 % 24, total / 60 % 60, total % 60)
            if days > 0 { return hours > 0 ? "\(days)d \(hours)h" : "\(days)d" }
            if hours > 0 { return minutes > 0 ? "\(hours)h \(minutes)m" : "\(hours)h" }
            if minutes > 0 { return rest > 0 ? "\(minutes)m \(rest)s" : "\(minutes)m" }
            return "\(rest)s"
        }

        /// Indented, sorted JSON for the call's arguments.
        static func pretty(_ value: JSONValue) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        }
    }
}
