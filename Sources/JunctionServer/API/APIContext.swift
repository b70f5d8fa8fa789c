import Foundation
import Hummingbird
import NIOCore

/// The request context of every admin API route: whether the peer is trusted (it came through
/// the daemon's 0600 unix socket) and JSON coders that speak the REST field names.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Peers on the unix socket need no API key: only the socket's owner can connect.
    public let trusted: Bool
    /// The TCP port the request arrived on (the daemon's own), for the Origin check; nil on the
    /// unix socket and in in-process tests.
    public let localPort: Int?
    /// Who the request comes from, once ``AccessMiddleware`` let it in (nil on public paths).
    public var identity: ClientIdentity?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.localPort = source.channel.localAddress?.port
        if case .unixDomainSocket = source.channel.localAddress {
            self.trusted = true
        } else {
            self.trusted = false
        }
    }

    /// Bodies above this size get 413 before they are decoded.
    public var maxUploadSize: Int { 4 * 1024 * 1024 }

    public var requestDecoder: JSONDecoder { APICoding.decoder }
    public var responseEncoder: JSONEncoder { APICoding.encoder }
}

/// JSON as the API writes and reads it: ISO-8601 dates, sorted keys, unescaped slashes.
public enum APICoding {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
