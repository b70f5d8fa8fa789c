import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The admin API's doorman, per DESIGN §6:
/// - Host must name this machine (loopback name or address) unless remote access was allowed,
///   and a browser's Origin must be the daemon's own: a page on another site, or one reached
///   through DNS rebinding, cannot drive the API.
/// - Every `/api/v1` route but health needs the API key (`X-API-Key`, `Authorization: Bearer`
///   or `?apikey=`), compared in constant time. Unix-socket peers are trusted.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = APIContext

    let apiKey: String
    let allowRemote: Bool
    /// Paths served without the key (the UI's static files, health).
    let isPublic: @Sendable (String) -> Bool

    func handle(
        _ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response
    ) async throws -> Response {
        if !context.trusted {
            try checkHostAndOrigin(request)
            if !isPublic(request.uri.path) {
                try checkKey(request)
            }
        }
        return try await next(request, context)
    }

    private func checkHostAndOrigin(_ request: Request) throws {
        let host = request.head.authority
        guard let host else {
            throw APIError(.badRequest, code: "host_required", "the Host header is required")
        }
        let hostName = Self.hostName(host)
        if !allowRemote, !Self.isLoopback(hostName) {
            throw APIError(
                .forbidden, code: "forbidden_host",
                "Host '\(host)' is not this machine; the API answers loopback names only (DNS rebinding defence)")
        }
        if let origin = request.headers[.origin], origin != "null" {
            guard let url = URL(string: origin), let originHost = url.host else {
                throw APIError(.forbidden, code: "forbidden_origin", "Origin '\(origin)' is not allowed")
            }
            let sameHost = originHost.lowercased() == hostName
            guard sameHost || (!allowRemote && Self.isLoopback(originHost.lowercased())) else {
                throw APIError(.forbidden, code: "forbidden_origin", "Origin '\(origin)' is not allowed")
            }
        }
    }

    private func checkKey(_ request: Request) throws {
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
        guard Self.constantTimeEqual(presented, apiKey) else { throw APIError.wrongKey }
    }

    /// Compares digests so neither the content nor the length of the key leaks through timing.
    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = SHA256.hash(data: Data(lhs.utf8))
        let right = SHA256.hash(data: Data(rhs.utf8))
        var difference: UInt8 = 0
        for (a, b) in zip(left, right) { difference |= a ^ b }
        return difference == 0
    }

    /// `host:port`, `[v6]:port` or a bare host, lowercased, without the port.
    static func hostName(_ authority: String) -> String {
        let lowered = authority.lowercased()
        if lowered.hasPrefix("[") {
            let end = lowered.firstIndex(of: "]") ?? lowered.endIndex
            return String(lowered[lowered.index(after: lowered.startIndex)..<end])
        }
        if let colon = lowered.lastIndex(of: ":"), lowered.filter({ $0 == ":" }).count == 1 {
            return String(lowered[..<colon])
        }
        return lowered
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host.hasPrefix("127.")
    }
}
