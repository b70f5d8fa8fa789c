import Foundation
import Hummingbird
import JunctionGateway
import Logging
import NIOCore
import ServiceLifecycle

/// The CLI's one-shot loopback listener for signing in without a daemon: binds 127.0.0.1 on a
/// free port, starts the sign-in with `http://127.0.0.1:PORT/oauth/callback` as its redirect,
/// and waits for the browser to land there (or the timeout). A request with a `state` this
/// sign-in did not issue is answered and ignored.
public enum OAuthCallbackListener {
    public static func signIn(
        service: OAuthService, server: String, options: OAuthSignIn.Options, timeout: Duration,
        show: @escaping @Sendable (OAuthSignIn.Pending) -> Void
    ) async throws -> OAuthSignIn.SignedIn {
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let (results, resultSink) = AsyncStream<Result<OAuthSignIn.SignedIn, any Error>>.makeStream()
        let router = Router(context: BasicRequestContext.self)
        router.get("oauth/callback") { request, _ -> Response in
            let (response, result) = await OAuthCallbackPage.handle(request, service: service)
            resultSink.yield(result)
            return response
        }
        var logger = Logger(label: "junction.oauth.callback")
        logger.logLevel = .error
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "junction"),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            }, logger: logger)
        // A graceful shutdown (not cancellation) once the sign-in ends, so the page answering
        // the callback is written before the listener closes.
        let services = ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await services.run()
                } catch {
                    // Never bound (or failed): the sign-in must not wait for a port.
                    portSink.finish()
                    throw error
                }
            }
            let outcome: Result<OAuthSignIn.SignedIn, any Error>
            do {
                outcome = .success(
                    try await waitForCallback(
                        service: service, server: server, options: options, timeout: timeout, ports: ports,
                        results: results, show: show))
            } catch {
                outcome = .failure(error)
            }
            await services.triggerGracefulShutdown()
            try? await group.waitForAll()
            return try outcome.get()
        }
    }

    private static func waitForCallback(
        service: OAuthService, server: String, options: OAuthSignIn.Options, timeout: Duration,
        ports: AsyncStream<Int>, results: AsyncStream<Result<OAuthSignIn.SignedIn, any Error>>,
        show: @escaping @Sendable (OAuthSignIn.Pending) -> Void
    ) async throws -> OAuthSignIn.SignedIn {
        try await withThrowingTaskGroup(of: OAuthSignIn.SignedIn.self) { group in
            group.addTask {
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next(), port > 0 else {
                    throw OAuthError.invalid("cannot listen on 127.0.0.1 for the sign-in's callback")
                }
                let pending = try await service.begin(
                    server: server, redirectURI: "http://127.0.0.1:\(port)/oauth/callback", options: options)
                show(pending)
                for await result in results {
                    switch result {
                    case .success(let signedIn): return signedIn
                    case .failure(let error as OAuthError) where error == .unknownState: continue
                    case .failure(let error): throw error
                    }
                }
                throw CancellationError()
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw OAuthError.timedOut(seconds: Int(timeout.components.seconds))
            }
            defer { group.cancelAll() }
            guard let first = try await group.next() else { throw CancellationError() }
            return first
        }
    }
}
