import JunctionCore

/// What a transport hands its connection.
enum TransportEvent: Sendable {
    /// One whole message's bytes, as the server sent them.
    case message([UInt8])
    /// A message over the size limit, dropped unread: its size and its first and last bytes.
    case oversized(size: Int, head: [UInt8], tail: [UInt8])
    /// The request with this (Junction's) id will get no answer: it fails with `error`.
    case failed(id: Int, error: DownstreamError)
    /// The transport ended (the process exited, the remote server is unreachable); nothing follows.
    case closed(reason: String)
}

/// How a `DownstreamConnection` reaches its server: a child process's pipes (`StdioTransport`) or
/// HTTP (`HTTPTransport`). The connection owns JSON-RPC (ids, deadlines, progress, server
/// requests); a transport only moves messages and says when it is over, so the pool, sessions,
/// routing and audit never know which one serves a server.
protocol DownstreamTransport: Sendable {
    /// Starts it (spawns the process; an HTTP transport connects on its first message). Events go
    /// to `deliver`, messages of one stream in order; `.closed` comes once, last.
    func start(deliver: @escaping @Sendable (TransportEvent) -> Void) throws

    /// Sends one message; a failure to deliver a request comes back as `.failed` or `.closed`.
    func send(_ message: JSONRPCMessage)

    /// Ends politely: stdin closed then SIGTERM and SIGKILL after `grace` each (stdio); the
    /// session deleted and the streams closed (HTTP).
    func stop(grace: Duration)

    /// Ends at once (SIGKILL to the process group; HTTP: streams dropped).
    func kill()

    /// The first step of a polite stop only (stdin closed; HTTP: the whole stop).
    func closeInput()

    /// Sends `signal` to the process group (nothing for HTTP, which has none).
    func signalGroup(_ signal: Int32)

    /// The process id, for a transport with a process.
    var pid: Int32? { get }
}
