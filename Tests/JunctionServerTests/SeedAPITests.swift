import Foundation
import HTTPTypes
import JunctionCore
import JunctionGateway
import JunctionStore
import Testing

@testable import JunctionServer

@Suite("Seed APIs: Open MCP Gateway and MCP Proxy Engine")
struct SeedAPITests {
    @Test("/health needs no key; the other seed paths need it, like the admin API")
    func keys() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let health = try await client.get("/health", key: nil)
            #expect(health.status == .ok)
            #expect(try health.json() as? [String: String] == ["status": "ok"])
            for path in ["/stats", "/servers", "/admin/proxy-status", "/tools/proxy", "/metrics/proxy"] {
                #expect(try await client.get(path, key: nil).status == .unauthorized, "\(path)")
                #expect(try await client.get(path, key: "wrong").status == .unauthorized, "\(path)")
                #expect(try await client.get(path).status == .ok, "\(path)")
            }
        }
    }

    @Test("/health is answered on the event loop like /api/v1/health, for plain loopback requests")
    func healthProbe() {
        func request(_ path: String, host: String?, origin: String? = nil) -> HTTPRequest {
            var request = HTTPRequest(method: .get, scheme: "http", authority: host, path: path)
            if let origin { request.headerFields[.origin] = origin }
            return request
        }
        #expect(HealthProbeHandler.probe(request("/health", host: "127.0.0.1:8080")) == .seed)
        #expect(HealthProbeHandler.probe(request("/api/v1/health", host: "localhost")) == .api)
        #expect(HealthProbeHandler.probe(request("/health", host: "localhost", origin: "http://evil")) == nil)
        #expect(HealthProbeHandler.probe(request("/health/proxy", host: "localhost")) == nil)
        #expect(HealthProbeHandler.probe(request("/health", host: "evil.example")) == nil)
    }

    @Test("servers in Open MCP Gateway's shape, filtered by tag here and on /api/v1/downstreams")
    func serversByTag() async throws {
        let harness = try APIHarness()
        let servers = DownstreamRepository(harness.database)
        try servers.create(Downstream(name: "db", command: "db-mcp", args: ["--stdio"], tags: ["database": ""]))
        try servers.create(
            Downstream(
                name: "web", transport: .http, url: "https://x.example/sse", httpTransport: .sse, tags: ["env": "prod"])
        )
        try await harness.test { client in
            let all = try await client.get("/servers").jsonArray()
            #expect(all.map { $0["id"] as? String } == ["db", "web"])
            #expect(all.map { $0["runtime_type"] as? String } == ["local-process", "remote-sse"])
            #expect(all[1]["tags"] as? [String] == ["env:prod"])
            #expect(all[0]["status"] as? String == "stopped")
            #expect(try await client.get("/servers?tag=database").jsonArray().map { $0["id"] as? String } == ["db"])
            #expect(try await client.get("/servers?tag=env:prod").jsonArray().map { $0["id"] as? String } == ["web"])
            let native = try await client.get("/api/v1/downstreams?tag=env").jsonArray()
            #expect(native.map { $0["name"] as? String } == ["web"])

            let detail = try await client.get("/servers/db").json()
            let runtime = detail["runtime"] as? [String: Any]
            #expect(runtime?["type"] as? String == "local-process")
            #expect(runtime?["command"] as? String == "db-mcp")
            #expect(runtime?["args"] as? [String] == ["--stdio"])
            #expect(detail["connection_count"] as? Int == 0)

            let missing = try await client.get("/servers/nope")
            #expect(missing.status == .notFound)
            let body = try missing.json()
            #expect(body["error"] as? String == "Not Found")
            #expect(body["message"] as? String == "Server 'nope' not found")
            #expect(body["code"] as? String == "server_not_found")

            let disabled = try await client.put("/api/v1/downstreams/db", #"{"enabled": false}"#)
            #expect(disabled.status == .ok)
            let refused = try await client.post("/servers/db/start", "{}")
            #expect(refused.status == .conflict)
            #expect(try refused.json()["error"] as? String == "Conflict")
            let stop = try await client.post("/servers/db/stop", "{}")
            #expect(try stop.json()["message"] as? String == "Server already stopped")
        }
    }

    @Test("tags may be given in list form when a server is created or changed")
    func tagsAsList() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let created = try await client.post(
                "/api/v1/downstreams", #"{"name": "db", "command": "db-mcp", "tags": ["database", "env:prod"]}"#)
            #expect(created.status == .created)
            #expect(try created.json()["tags"] as? [String: String] == ["database": "", "env": "prod"])
            let changed = try await client.put("/api/v1/downstreams/db", #"{"tags": ["vcs"]}"#)
            #expect(try changed.json()["tags"] as? [String: String] == ["vcs": ""])
            let mapped = try await client.put("/api/v1/downstreams/db", #"{"tags": {"team": "core"}}"#)
            #expect(try mapped.json()["tags"] as? [String: String] == ["team": "core"])
            for bad in [#"{"tags": [""]}"#, #"{"tags": [":x"]}"#, #"{"tags": [1]}"#, #"{"tags": "db"}"#] {
                let refused = try await client.put("/api/v1/downstreams/db", bad)
                #expect(refused.status == .badRequest, "\(bad)")
                #expect(try refused.json()["field"] as? String == "tags", "\(bad)")
            }
        }
    }

    @Test("reload reports the servers added and removed since the configuration in use")
    func reload() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let first = try await client.post("/admin/reload", "{}").json()
            #expect(first["servers_loaded"] as? Int == 0)
            try DownstreamRepository(harness.database).create(Downstream(name: "db", command: "db-mcp"))
            let second = try await client.post("/admin/reload", "{}").json()
            #expect(second["servers_added"] as? Int == 1)
            #expect(second["added"] as? [String] == ["db"])
            #expect(second["servers_loaded"] as? Int == 1)
        }
    }

    @Test("Proxy Engine errors come in its envelope with its codes")
    func proxyErrors() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let cases: [(String, HTTPResponse.Status, String)] = [
                ("/admin/servers/nope", .notFound, "SERVER_NOT_FOUND"),
                ("/tools/proxy/nope__tool", .notFound, "TOOL_NOT_FOUND"),
                ("/tools/proxy?enabled=maybe", .badRequest, "INVALID_PARAMETERS"),
            ]
            for (path, status, code) in cases {
                let reply = try await client.get(path)
                #expect(reply.status == status, "\(path)")
                let error = try reply.json()["error"] as? [String: Any]
                #expect(error?["type"] as? String == "ProxyError")
                #expect(error?["code"] as? String == code, "\(path)")
                #expect(error?["timestamp"] is String)
            }
            let call = try await client.post("/tools/call", #"{"arguments": {}}"#)
            #expect(call.status == .badRequest)
            let error = try call.json()["error"] as? [String: Any]
            #expect(error?["code"] as? String == "INVALID_PARAMETERS")
            #expect((error?["details"] as? [String: Any])?["field"] as? String == "name")
        }
    }

    @Test("configurations in the seed's form are checked, not applied")
    func validation() async throws {
        let harness = try APIHarness()
        try await harness.test { client in
            let good = try await client.post(
                "/admin/validate-proxy-config",
                #"{"version": "1.0", "mcpServers": {"s": {"type": "stdio", "command": "/bin/s", "timeout": 30}}}"#
            ).json()
            #expect(good["valid"] as? Bool == true)
            #expect(good["warnings"] as? [String] == [])
            let bad = try await client.post(
                "/admin/validate-proxy-config",
                #"{"mcpServers": {"a": {"type": "stdio"}, "b": {"url": "ftp://x"}, "c": {"type": "ws"}, "d": 3}}"#
            ).json()
            #expect(bad["valid"] as? Bool == false)
            #expect(bad["servers_validated"] as? Int == 4)
            #expect((bad["errors"] as? [String])?.count == 4)
            let notObject = try await client.post("/admin/validate-proxy-config", "[1]")
            #expect(notObject.status == .badRequest)
            #expect((try notObject.json()["error"] as? [String: Any])?["code"] as? String == "CONFIGURATION_ERROR")
            #expect(try await client.get("/api/v1/downstreams").jsonArray().isEmpty)
        }
    }

    @Test("parameters are described from the input schema in the seed's words")
    func parameters() {
        let schema = ProxyEngineController.jsonValue(
            #"{"type":"object","properties":{"location":{"type":"string","description":"Where"},"#
                + #""units":{"type":"string","enum":["metric","imperial"],"default":"metric"}},"required":["location"]}"#
        )
        let info = ProxyEngineController.parameterInfo(schema)
        #expect(
            info["location"]
                == .object(["type": .string("str"), "required": .bool(true), "description": .string("Where")]))
        #expect(
            info["units"]
                == .object([
                    "type": .string("str"), "required": .bool(false), "default": .string("metric"),
                    "choices": .array([.string("metric"), .string("imperial")]),
                ]))
        #expect(ProxyEngineController.parameterInfo(nil).isEmpty)
    }

    @Test("activity counts the calls that reached a server, and their outcomes")
    func activity() async {
        let bus = EventBus()
        let activity = ServerActivity()
        var events = bus.subscribe().makeAsyncIterator()
        let statuses: [(AuditRecord.Status, Double)] = [(.ok, 10), (.error, 30), (.denied, 0)]
        for (status, latency) in statuses {
            bus.publish(
                EventType.toolCallCompleted,
                AuditRecord(
                    toolName: "db__query", downstreamId: "D", downstreamName: "db", decision: .allow, status: status,
                    errorMessage: status == .error ? "boom" : nil, latencyMs: latency))
        }
        for _ in statuses {
            if let event = await events.next() { activity.record(event) }
        }
        let server = activity.server("D")
        #expect(server.calls == 2)
        #expect(server.succeeded == 1 && server.failed == 1)
        #expect(server.averageLatencyMs == 20)
        #expect(server.lastError == "boom")
        #expect(activity.totalCalls == 3)
        #expect(activity.tool("db__query").calls == 3)
        #expect(activity.server("other") == ServerActivity.Server())
    }
}
