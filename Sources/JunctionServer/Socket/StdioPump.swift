import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// `junction stdio`'s byte pump once the daemon welcomed the session: stdin to the daemon's
/// socket and the socket to stdout, spliced on one event loop.
enum StdioPump {
    /// Whether stdin and stdout can be watched by an event loop: pipes or sockets, as AI clients
    /// pass them. A regular file, /dev/null or a terminal is pumped with blocking reads instead.
    static var canPump: Bool {
        [Int32(0), 1].allSatisfy { fd in
            var status = stat()
            guard fstat(fd, &status) == 0 else { return false }
            let kind = status.st_mode & S_IFMT
            return kind == S_IFIFO || kind == S_IFSOCK
        }
    }

    /// Pumps until the daemon ends the session (its answers all written to stdout); returns
    /// whether this process's input had ended first. Takes ownership of `socket`, stdin and
    /// stdout; nil if the event loop could not take stdin and stdout (nothing is closed then).
    static func run(socket: Int32) -> Bool? {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let inputEnded = loop.makePromise(of: Void.self)
        let sessionEnded = loop.makePromise(of: Void.self)
        let clientEnded = ClientEndFlag()
        inputEnded.futureResult.whenSuccess { clientEnded.set() }
        // An early return leaves neither unfulfilled.
        defer {
            inputEnded.succeed()
            sessionEnded.succeed()
        }
        let handlers: NIOLoopBound<(SpliceHandler, SpliceHandler)>
        let stdio: any Channel
        do {
            // Built on the loop, where the handlers live.
            handlers = try loop.submit {
                NIOLoopBound(SpliceHandler.pair(firstEnded: inputEnded, secondEnded: sessionEnded), eventLoop: loop)
            }.wait()  // blocking-ok: `junction stdio`'s main thread, the loop is another
            stdio = try NIOPipeBootstrap(group: loop)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .channelOption(.autoRead, value: false)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(handlers.value.0)
                    }
                }
                .takingOwnershipOfDescriptors(input: 0, output: 1)
                .wait()  // blocking-ok: `junction stdio`'s main thread, the loop is another
        } catch {
            return nil
        }
        let socketChannel: any Channel
        do {
            socketChannel = try ClientBootstrap(group: loop)
                .channelOption(.allowRemoteHalfClosure, value: true)
                .channelOption(.autoRead, value: false)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(handlers.value.1)
                    }
                }
                .withConnectedSocket(socket)
                .wait()  // blocking-ok: `junction stdio`'s main thread, the loop is another
        } catch {
            stdio.close(promise: nil)
            return false
        }
        // Neither reads before both ends are in place.
        _ = socketChannel.setOption(.autoRead, value: true)
        _ = stdio.setOption(.autoRead, value: true)
        // Until the daemon ends the session, however long the client keeps it open.
        try? sessionEnded.futureResult.wait()  // blocking-ok: `junction stdio`'s main thread
        return clientEnded.isSet
    }
}
