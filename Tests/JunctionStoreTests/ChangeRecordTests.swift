import Foundation
import JunctionCore
import JunctionStore
import Testing

/// Changes the audit trail records besides calls (servers, quarantine, settings), and the
/// `quarantine_new_servers` setting.
@Suite("Audit records of changes")
struct ChangeRecordTests {
    let store: TestStore

    init() throws {
        store = try TestStore()
    }

    private var allKinds: AuditQuery {
        var query = AuditQuery()
        query.kinds = Set(AuditRecord.Kind.allCases)
        return query
    }

    private func changes() throws -> [(AuditRecord.Kind, String, String)] {
        try store.audit.query(allKinds).reversed().map { ($0.kind, $0.method, $0.toolName) }
    }

    @Test("adding, changing, enabling, quarantining and removing a server each leave a record")
    func serverChanges() throws {
        let server = try store.server("github", namespace: "gh")
        var changed = server
        changed.args = ["--verbose"]
        changed.headers = [:]
        try store.downstreams.update(changed)
        try store.downstreams.setEnabled("github", false)
        try store.downstreams.setEnabled("github", false)
        try store.downstreams.setQuarantined("github", true)
        try store.downstreams.setQuarantined("github", true)
        try store.downstreams.setQuarantined("github", false)
        try store.downstreams.delete("github")

        let recorded = try changes()
        #expect(
            recorded.map(\.1) == [
                "server/created", "server/updated", "server/disabled", "server/quarantined", "server/approved",
                "server/deleted",
            ])
        #expect(
            recorded.map(\.0) == [
                .serverChange, .serverChange, .serverChange, .quarantineChange, .quarantineChange, .serverChange,
            ])
        #expect(recorded.allSatisfy { $0.2 == "github" })
        let update = try #require(try store.audit.query(allKinds).first { $0.method == "server/updated" })
        #expect(JSONValue.parse(update.params) == .object(["changed": .array([.string("command")])]))
        #expect(update.downstreamId == server.id && update.downstreamName == "github")
    }

    @Test("workspace, route and auth scope changes are config changes, naming secret keys but never values")
    func configChanges() throws {
        var workspace = try store.workspace("shop")
        workspace.defaultPolicy = .deny
        try store.workspaces.update(workspace)
        try store.server("github", namespace: "gh")
        try store.scope("work", server: "github", env: ["GITHUB_TOKEN": "ghp_secret_value"])
        try store.scopes().updateSecrets("work", set: .init(env: ["OTHER": "another_secret"]))
        let rule = try store.routes.create(
            RouteRule(name: "no-push", workspaceId: workspace.id, toolPattern: "gh__push*"))
        try store.routes.setEnabled(rule.id, false)
        try store.routes.delete(rule.id)
        try store.scopes().delete("work")
        try store.workspaces.delete("shop")

        let recorded = try changes().filter { $0.0 == .configChange }
        #expect(
            recorded.map(\.1) == [
                "workspace/created", "workspace/updated", "scope/created", "scope/updated", "route/created",
                "route/disabled", "route/deleted", "scope/deleted", "workspace/deleted",
            ])
        #expect(recorded.map(\.2) == ["shop", "shop", "work", "work", "no-push", "no-push", "no-push", "work", "shop"])
        let params = try store.audit.query(allKinds).compactMap(\.params).joined()
        #expect(params.contains("GITHUB_TOKEN") && params.contains("OTHER"))
        #expect(!params.contains("ghp_secret_value") && !params.contains("another_secret"))
    }

    @Test("the native audit query, its stream cursor and the dashboard see calls only")
    func callsOnly() throws {
        try store.server("github", namespace: "gh")
        try store.settings.set("audit_retention_days", json: "7")
        try store.audit.insert([AuditRecord(toolName: "gh__search", decision: .allow, status: .ok)])

        #expect(try store.audit.query().map(\.toolName) == ["gh__search"])
        #expect(try store.audit.count() == 1)
        #expect(try store.audit.records(afterId: nil, limit: 100).map(\.toolName) == ["gh__search"])
        #expect(try store.dashboard.snapshot(range: .oneHour).totals.requests == 1)
        #expect(try store.audit.count(allKinds) == 3)
        let setting = try #require(try store.audit.query(allKinds).first { $0.kind == .configChange })
        #expect(setting.method == "setting/updated" && setting.toolName == "audit_retention_days")
        #expect(JSONValue.parse(setting.params) == .object(["value": .integer(7)]))
    }

    @Test("with quarantine_new_servers on, a new server starts quarantined, and the record says why")
    func quarantineNewServers() throws {
        let before = try store.server("before")
        #expect(!before.quarantined)
        try store.settings.set("quarantine_new_servers", json: "true")
        #expect(try store.settings.value(.quarantineNewServers))
        let added = try store.server("after")
        #expect(added.quarantined)
        #expect(try store.downstreams.get("after").quarantined)
        let quarantine = try #require(
            try store.audit.query(allKinds).first { $0.kind == .quarantineChange && $0.toolName == "after" })
        #expect(JSONValue.parse(quarantine.params) == .object(["reason": .string("setting quarantine_new_servers")]))

        let approved = try store.downstreams.setQuarantined("after", false)
        #expect(!approved.quarantined)
        #expect(!(try store.downstreams.get("after").quarantined))
        expectInvalid("quarantine_new_servers", "true or false") {
            try store.settings.set("quarantine_new_servers", json: "1")
        }
    }

    @Test("the activity filters: any tool name, server name, statuses and kinds")
    func filters() throws {
        try store.audit.insert([
            AuditRecord(id: "01A", toolName: "gh__search", downstreamName: "github", decision: .allow, status: .ok),
            AuditRecord(id: "01B", toolName: "gh__search", downstreamName: "github", decision: .deny, status: .denied),
            AuditRecord(
                id: "01C", toolName: "fs__read_file", downstreamName: "files", decision: .allow, status: .error),
            AuditRecord(
                id: "01D", toolName: "gh__search_code", downstreamName: "github", decision: .allow, status: .ok),
        ])
        func ids(_ change: (inout AuditQuery) -> Void) throws -> Set<String> {
            var query = AuditQuery()
            change(&query)
            return Set(try store.audit.query(query).map(\.id))
        }
        #expect(try ids { $0.anyToolName = "search" } == ["01A", "01B"])
        #expect(try ids { $0.anyToolName = "gh__search" } == ["01A", "01B"])
        #expect(try ids { $0.anyToolName = "read_file" } == ["01C"])
        #expect(try ids { $0.anyToolName = "_file" }.isEmpty, "an underscore is no wildcard")
        #expect(try ids { $0.downstreamName = "files" } == ["01C"])
        #expect(try ids { $0.statuses = [.denied, .error] } == ["01B", "01C"])
        #expect(try ids { $0.kinds = [.serverChange] }.isEmpty)
    }
}
