import AsyncHTTPClient
import NIOCore
import NIOPosix
import Synchronization

extension LocalAPIClient {
    /// The process's one HTTP client for the daemon's socket, made on first use (most commands
    /// never talk to the daemon) and shut down by ``shutdownSharedClient()``.
    private static let shared = Mutex<HTTPClient?>(nil)

    static var sharedHTTPClient: HTTPClient {
        shared.withLock { client in
            if let client { return client }
            let made = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
            client = made
            return made
        }
    }

    /// Shuts the shared client down, closing its idle connections; a later request makes a new
    /// one. The CLI calls this once before it exits.
    public static func shutdownSharedClient() async {
        let client = shared.withLock { client in
            defer { client = nil }
            return client
        }
        try? await client?.shutdown()
    }

    /// What talking to a local daemon needs: no redirects or decompression; a connection that
    /// fails fails the request at once (no socket means no daemon: retrying only delays the
    /// fallback or the message); idle connections closed well before the daemon's own HTTP idle
    /// timeout would close them under a request; and a read timeout that ends an event stream
    /// whose daemon stopped answering (its heartbeat comes every 15 s).
    static var configuration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(5), read: .seconds(60)),
            connectionPool: .init(idleTimeout: .seconds(5)),
            decompression: .disabled)
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }
}
