import AsyncHTTPClient
import Foundation
import NIOCore

/// One request of the OAuth client (discovery, registration, token, revocation).
public struct OAuthHTTPRequest: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]?

    public init(method: String = "GET", url: String, headers: [String: String] = [:], body: [UInt8]? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The body as text, for tests and error messages.
    public var bodyText: String { body.map { String(decoding: $0, as: UTF8.self) } ?? "" }
}

/// A complete answer; header names lowercased.
public struct OAuthHTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, json: String, headers: [String: String] = [:]) {
        self.init(
            status: status, headers: headers.merging(["content-type": "application/json"]) { old, _ in old },
            body: Array(json.utf8))
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// How the OAuth client reaches the network: a protocol so unit tests can answer for servers.
public protocol OAuthHTTP: Sendable {
    /// Sends a request and reads the whole answer. Not reaching the server throws
    /// ``OAuthError/unreachable(url:reason:)``.
    func send(_ request: OAuthHTTPRequest) async throws(OAuthError) -> OAuthHTTPResponse
}

/// The real network, through async-http-client's shared client (pooled connections, TLS).
public struct LiveOAuthHTTP: OAuthHTTP {
    /// How long one request may take.
    public var timeout: TimeAmount = .seconds(20)
    /// The largest answer read (metadata and token answers are small).
    public var bodyLimit = 1 << 20

    public init() {}

    public func send(_ request: OAuthHTTPRequest) async throws(OAuthError) -> OAuthHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = .init(rawValue: request.method)
        outgoing.headers.add(name: "User-Agent", value: "junction-oauth")
        for (name, value) in request.headers { outgoing.headers.replaceOrAdd(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        do {
            let response = try await HTTPClient.shared.execute(outgoing, timeout: timeout)
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            let body = try await response.body.collect(upTo: bodyLimit)
            return OAuthHTTPResponse(status: Int(response.status.code), headers: headers, body: Array(buffer: body))
        } catch {
            throw .unreachable(url: request.url, reason: String(describing: error))
        }
    }
}
