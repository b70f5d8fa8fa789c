import AsyncHTTPClient
import Foundation
import JunctionCore
import JunctionStore
import NIOCore
import NIOHTTP1

/// A client of the running daemon's admin API over its unix socket (`$JUNCTION_HOME/junction.sock`,
/// 0600), where no API key is needed: async-http-client over `http+unix://`, on the process's
/// one shared ``HTTPClient`` (see ``shutdownSharedClient()``).
///
/// Not reaching the daemon, or an answer that cannot be read in time, is a ``DaemonError``; an
/// answer that is not 2xx is a ``LocalAPIError`` carrying the API's own message.
public struct LocalAPIClient: Sendable {
    /// A complete response, whatever its status.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var reason: String
        /// Header names lowercased; a repeated header keeps its last value.
        public var headers: [String: String]
        public var body: [UInt8]

        public var isSuccess: Bool { (200..<300).contains(status) }
    }

    public let home: JunctionHome
    /// Why the command needs the daemon, said when none runs ("parked calls live in the daemon").
    public var purpose: String?
    /// How long a request waits for its whole answer; an event stream waits this long for its
    /// head, then as long as it is open.
    public var timeout: Duration = .seconds(30)
    /// The largest response body (or single event) accepted.
    public static let bodyLimit = 64 << 20

    let http: HTTPClient

    public init(home: JunctionHome, purpose: String? = nil) {
        self.init(home: home, purpose: purpose, http: Self.sharedHTTPClient)
    }

    init(home: JunctionHome, purpose: String? = nil, http: HTTPClient) {
        self.home = home
        self.purpose = purpose
        self.http = http
    }

    /// Sends one request (`body` encoded as JSON) and reads the whole response.
    public func response(_ method: String, _ path: String, body: (any Encodable)? = nil) async throws -> Response {
        let request = try makeRequest(method, path, body: body, accept: "application/json")
        let (http, deadline) = (http, NIODeadline.now() + TimeAmount(timeout))
        do {
            return try await withinTimeout {
                let answer = try await http.execute(request, deadline: deadline)
                let body = try await answer.body.collect(upTo: Self.bodyLimit)
                return Response(answer, body: body)
            }
        } catch {
            throw failure(error)
        }
    }

    /// Sends one request and returns the body of a 2xx answer; any other status throws
    /// ``LocalAPIError``.
    public func data(_ method: String, _ path: String, body: (any Encodable)? = nil) async throws -> Data {
        let answer = try await response(method, path, body: body)
        guard answer.isSuccess else {
            throw LocalAPIError(status: answer.status, reason: answer.reason, body: answer.body)
        }
        return Data(answer.body)
    }

    /// Opens a Server-Sent Events stream (`GET path`). A refusal throws ``LocalAPIError``.
    public func events(_ path: String) async throws -> EventStream {
        let request = try makeRequest("GET", path, body: nil, accept: "text/event-stream")
        let (http, deadline) = (http, NIODeadline.now() + TimeAmount(timeout))
        let refusal: Response
        do {
            let answer = try await http.execute(request, deadline: deadline)
            if (200..<300).contains(answer.status.code) {
                return EventStream(body: answer.body, home: home)
            }
            refusal = try await withinTimeout {
                Response(answer, body: try await answer.body.collect(upTo: Self.bodyLimit))
            }
        } catch {
            throw failure(error)
        }
        throw LocalAPIError(status: refusal.status, reason: refusal.reason, body: refusal.body)
    }

    // MARK: - Requests and failures

    private func makeRequest(
        _ method: String, _ path: String, body: (any Encodable)?, accept: String
    ) throws -> HTTPClientRequest {
        guard let url = URL(httpURLWithSocketPath: home.socketPath, uri: path) else {
            throw DaemonError.unreachable("cannot address the Junction daemon at \(home.socketPath) (path \(path))")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = HTTPMethod(rawValue: method)
        // A unix-socket URL names no host; HTTP/1.1 wants one.
        request.headers.add(name: "Host", value: "localhost")
        request.headers.add(name: "Accept", value: accept)
        request.headers.add(name: "User-Agent", value: "junction/\(JunctionVersion.current)")
        if let body {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try encoder.encode(body)))
        }
        return request
    }

    /// The answer (head and body) did not come within ``timeout``.
    private struct TimedOut: Error {}

    /// Runs `operation`, cancelled (async-http-client then drops the request) if ``timeout``
    /// passes first: the head has its own deadline, the body would otherwise wait as long as the
    /// daemon keeps the connection open.
    private func withinTimeout<Value: Sendable>(
        _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let timeout = timeout
        return try await withThrowingTaskGroup(of: Value?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw TimedOut() }
            return value
        }
    }

    /// What a failed exchange means to the user; the API's own refusals pass through.
    private func failure(_ error: any Error) -> any Error {
        let log = "see \(home.logsPath)/daemon.log"
        switch error {
        case is DaemonError, is LocalAPIError, is CancellationError:
            return error
        case is TimedOut:
            return DaemonError.unreachable(
                "the Junction daemon did not answer within \(timeout.wholeSeconds) s (\(log))")
        case let error as HTTPClientError:
            switch error {
            case .deadlineExceeded, .readTimeout:
                return DaemonError.unreachable(
                    "the Junction daemon did not answer within \(timeout.wholeSeconds) s (\(log))")
            case .remoteConnectionClosed:
                return DaemonError.unreachable("the Junction daemon closed the connection before it answered (\(log))")
            case .cancelled:
                return CancellationError()
            default:
                return DaemonError.unreachable("the Junction daemon's answer could not be read: \(error)")
            }
        case is NIOTooManyBytesError:
            return DaemonError.unreachable(
                "the Junction daemon's answer could not be read: a body larger than \(Self.bodyLimit) bytes")
        case SocketAddressError.unixDomainSocketPathTooLong:
            return DaemonError.unreachable(
                "the socket path \(home.socketPath) is too long for a unix socket; use a shorter JUNCTION_HOME")
        case let error as IOError
        where error.errnoCode == POSIXErrorCode.ENOENT.rawValue
            || error.errnoCode == POSIXErrorCode.ECONNREFUSED.rawValue:
            // No socket, or a stale one a killed daemon left behind: nobody listens.
            let why = purpose.map { "; \($0): " } ?? "; "
            return DaemonError.unreachable(
                "no Junction daemon is running for \(home.path)\(why)start it with junction serve")
        case let error as IOError:
            return DaemonError.unreachable(
                "cannot reach the Junction daemon at \(home.socketPath): \(String(cString: strerror(error.errnoCode)))")
        default:
            return DaemonError.unreachable("cannot reach the Junction daemon at \(home.socketPath): \(error)")
        }
    }
}

extension LocalAPIClient.Response {
    fileprivate init(_ answer: HTTPClientResponse, body: ByteBuffer) {
        var headers: [String: String] = [:]
        for (name, value) in answer.headers { headers[name.lowercased()] = value }
        self.init(
            status: Int(answer.status.code), reason: answer.status.reasonPhrase, headers: headers,
            body: Array(body.readableBytesView))
    }
}

extension Duration {
    /// Whole seconds, for messages.
    fileprivate var wholeSeconds: Int64 { components.seconds }
}
