import Foundation
import JunctionGateway
import Synchronization

/// Answers the OAuth client's requests like a server would: one handler for all URLs, every
/// request recorded in order.
final class FakeOAuthHTTP: OAuthHTTP {
    typealias Handler = @Sendable (OAuthHTTPRequest) async throws(OAuthError) -> OAuthHTTPResponse
    private let handler: Handler
    private let log = Mutex<[OAuthHTTPRequest]>([])

    init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    func send(_ request: OAuthHTTPRequest) async throws(OAuthError) -> OAuthHTTPResponse {
        log.withLock { $0.append(request) }
        return try await handler(request)
    }

    var requests: [OAuthHTTPRequest] { log.withLock { $0 } }
    var urls: [String] { requests.map(\.url) }
    func count(_ url: String) -> Int { urls.filter { $0 == url }.count }

    /// The form fields of a request body.
    static func form(_ request: OAuthHTTPRequest) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in request.bodyText.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            let decode = { (text: String) in
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    static let notFound = OAuthHTTPResponse(status: 404, body: Array("not found".utf8))
}
