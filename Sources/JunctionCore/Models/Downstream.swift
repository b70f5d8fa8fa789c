import Foundation

/// A downstream MCP server definition: how to start or reach it, and how Junction names its tools.
public struct Downstream: Codable, Sendable, Hashable, Identifiable {
    public enum Transport: String, Codable, Sendable, CaseIterable {
        case stdio
        case http
    }

    /// How an `http` downstream is spoken to: found by the spec's fallback (`auto`), or pinned.
    public enum HTTPTransport: String, Codable, Sendable, CaseIterable {
        /// Streamable HTTP (or stateless 2026-07-28 HTTP); legacy HTTP+SSE when a POST of the
        /// first message is answered 400, 404 or 405.
        case auto
        /// Streamable HTTP (2025-03-26 and later, and the stateless 2026-07-28 protocol) only.
        case streamableHTTP = "streamable-http"
        /// Legacy HTTP+SSE (2024-11-05): a GET event stream, messages POSTed to its `endpoint`.
        case sse
    }

    public enum InstanceMode: String, Codable, Sendable, CaseIterable {
        /// One process per (downstream, auth scope), shared by every session.
        case shared
        /// One process per client session.
        case perSession = "per_session"
    }

    public var id: String
    public var name: String
    /// Prefix of client-visible tool names: `{namespace}__{tool}`. `[a-z0-9-]{1,24}`.
    public var namespace: String
    public var transport: Transport
    public var command: String?
    public var args: [String]
    /// Non-secret environment; secrets live in auth scopes.
    public var env: [String: String]
    public var cwd: String?
    public var url: String?
    /// Non-secret HTTP headers for `http` downstreams.
    public var headers: [String: String]
    /// The HTTP flavour of an `http` downstream (ignored for `stdio`).
    public var httpTransport: HTTPTransport
    public var enabled: Bool
    public var quarantined: Bool
    public var instanceMode: InstanceMode
    public var idleTimeoutSec: Int
    public var callTimeoutSec: Int
    /// Tool calls this server runs at once (more wait in line); nil follows the setting
    /// `max_concurrent_calls`, 0 is no cap.
    public var maxConcurrentCalls: Int?
    public var tags: [String: String]
    public var createdAt: Date
    public var updatedAt: Date

    public static let defaultIdleTimeoutSec = 600
    public static let defaultCallTimeoutSec = 120

    public init(
        id: String = ULID.make(),
        name: String,
        namespace: String? = nil,
        transport: Transport = .stdio,
        command: String? = nil,
        args: [String] = [],
        env: [String: String] = [:],
        cwd: String? = nil,
        url: String? = nil,
        headers: [String: String] = [:],
        httpTransport: HTTPTransport = .auto,
        enabled: Bool = true,
        quarantined: Bool = false,
        instanceMode: InstanceMode = .shared,
        idleTimeoutSec: Int = Downstream.defaultIdleTimeoutSec,
        callTimeoutSec: Int = Downstream.defaultCallTimeoutSec,
        maxConcurrentCalls: Int? = nil,
        tags: [String: String] = [:],
        createdAt: Date = Date(),
        updatedAt: Date = Date()
    ) {
        self.id = id
        self.name = name
        self.namespace = namespace ?? Downstream.defaultNamespace(forName: name)
        self.transport = transport
        self.command = command
        self.args = args
        self.env = env
        self.cwd = cwd
        self.url = url
        self.headers = headers
        self.httpTransport = httpTransport
        self.enabled = enabled
        self.quarantined = quarantined
        self.instanceMode = instanceMode
        self.idleTimeoutSec = idleTimeoutSec
        self.callTimeoutSec = callTimeoutSec
        self.maxConcurrentCalls = maxConcurrentCalls
        self.tags = tags
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The namespace a server gets when none is given: its name, lowercased, with every character
    /// outside `[a-z0-9-]` turned into `-`, cut to 24 characters.
    public static func defaultNamespace(forName name: String) -> String {
        let mapped = name.lowercased().unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "a"..."z", "0"..."9", "-": Character(scalar)
            default: "-"
            }
        }
        return String(String(mapped).prefix(24))
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case id, name, namespace, transport, command, args, env, cwd, url, headers, enabled,
            quarantined, tags
        case httpTransport = "http_transport"
        case instanceMode = "instance_mode"
        case idleTimeoutSec = "idle_timeout_sec"
        case callTimeoutSec = "call_timeout_sec"
        case maxConcurrentCalls = "max_concurrent_calls"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    /// Every key is written, absent values as `null`, so API clients see one stable shape.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(namespace, forKey: .namespace)
        try container.encode(transport, forKey: .transport)
        try container.encode(command, forKey: .command)
        try container.encode(args, forKey: .args)
        try container.encode(env, forKey: .env)
        try container.encode(cwd, forKey: .cwd)
        try container.encode(url, forKey: .url)
        try container.encode(headers, forKey: .headers)
        try container.encode(httpTransport, forKey: .httpTransport)
        try container.encode(enabled, forKey: .enabled)
        try container.encode(quarantined, forKey: .quarantined)
        try container.encode(instanceMode, forKey: .instanceMode)
        try container.encode(idleTimeoutSec, forKey: .idleTimeoutSec)
        try container.encode(callTimeoutSec, forKey: .callTimeoutSec)
        try container.encode(maxConcurrentCalls, forKey: .maxConcurrentCalls)
        try container.encode(tags, forKey: .tags)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
