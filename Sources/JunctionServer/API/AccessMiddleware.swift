import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The admin API's doorman, per DESIGN §6:
/// - Host must name this machine (`localhost`, a loopback literal, a name in `allowed_hosts`, or
///   the bound host with `--allow-remote`), once; a browser's Origin must be the daemon's own
///   (same port, accepted host): a page on another site, on another local port, or one reached
///   through DNS rebinding, cannot drive the API (``HostPolicy``).
/// - Every `/api/v1` route but health needs the API key (`X-API-Key`, `Authorization: Bearer`
///   or `?apikey=`), compared in constant time. Unix-socket peers are trusted.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = APIContext

    let apiKey: String
    /// Which Host names and Origins pass (see ``HostPolicy``).
    let hosts: HostPolicy
    /// Paths served without the key (the UI's static files, health).
    let isPublic: @Sendable (String) -> Bool
    /// Finds the named client key a request presented (MCP paths only: `/mcp`, `/rpc`); nil when
    /// there is none such.
    var clientKey: @Sendable (String) async throws -> ClientIdentity? = { _ in nil }

    func handle(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        context.identity = try await admit(request, context: context)
        return try await next(request, context)
    }

    /// Who the request comes from (nil on a public path), or the refusal: the checks of every
    /// request, also run before a WebSocket upgrade.
    func admit(_ request: Request, context: APIContext) async throws -> ClientIdentity? {
        if context.trusted { return .admin }
        try checkHostAndOrigin(request, context: context)
        return isPublic(request.uri.path) ? nil : try await checkKey(request)
    }

    private func checkHostAndOrigin(_ request: Request, context: APIContext) throws {
        let authority = request.head.authority
        // HTTP/1 conversion makes the first Host the authority and leaves any other among the
        // fields: a second one means two Hosts, which proxies and servers may read differently.
        let extraHosts = request.headers[values: .host].count
        try hosts.checkHost(authority: authority, extraHostFields: extraHosts)
        // The port the request came in on; in-process tests have no socket, so the Host's.
        let hostPort = authority.flatMap { HostPolicy.parseAuthority($0)?.port } ?? 80
        let origins = request.headers[values: .origin]
        guard origins.count <= 1 else {
            throw APIError(.forbidden, code: "forbidden_origin", "the request has more than one Origin header")
        }
        try hosts.checkOrigin(origins.first, port: context.localPort ?? hostPort)
    }

    private func checkKey(_ request: Request) async throws -> ClientIdentity {
        let presented: String?
        if let header = request.headers[.xAPIKey] {
            presented = header
        } else if let authorization = request.headers[.authorization],
            authorization.lowercased().hasPrefix("bearer ")
        {
            presented = String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
        } else {
            presented = request.uri.queryParameters["apikey"].map(String.init)
        }
        guard let presented, !presented.isEmpty else { throw APIError.unauthorized }
        if Self.constantTimeEqual(presented, apiKey) { return .admin }
        // Client keys open MCP only, never the admin API. Only hashes are stored: the lookup by
        // hash reveals nothing through timing.
        if isMCPPath(request.uri.path), let identity = try await clientKey(presented) { return identity }
        throw APIError.wrongKey
    }

    /// Compares digests so neither the content nor the length of the key leaks through timing.
    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = SHA256.hash(data: Data(lhs.utf8))
        let right = SHA256.hash(data: Data(rhs.utf8))
        var difference: UInt8 = 0
        for (a, b) in zip(left, right) { difference |= a ^ b }
        return difference == 0
    }
}
