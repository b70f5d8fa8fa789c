import Foundation
import JunctionCore

/// Health checks: every `Options.healthCheckInterval` each running instance is asked `ping`
/// (handshake era) or `server/discover` (the modern era has no `ping`), bounded by
/// `Options.healthCheckTimeout`. An instance that fails `Options.healthCheckFailures` checks in a
/// row is unhealthy: it is killed, counted as a crash (so the restart backoff applies), and a
/// shared instance is started again once the backoff ends.
///
/// Only running instances are checked: a server stopped for idleness is not woken. A check is
/// not a call: it neither delays the idle stop nor counts as work in flight.
extension DownstreamPool {
    /// A server's health as the periodic checks found it, in every status view.
    public struct Health: Sendable, Codable, Hashable {
        /// `healthy` (its last check passed), `failing` (its last check failed, fewer times in a
        /// row than make it unhealthy), `unhealthy` (it stopped answering and was restarted; until
        /// its new process passes a check), `unknown` (not checked while running: not running,
        /// just started, or checks are off).
        public var state = "unknown"
        /// When it was last checked.
        public var lastCheck: Date?
        /// `ok`, or what went wrong with the last check.
        public var lastResult: String?
        /// The last passing check's round trip, in milliseconds.
        public var responseTimeMs: Int?
        /// Failed checks in a row (of its running process).
        public var consecutiveFailures = 0
        /// Failed checks since Junction started.
        public var errorCount = 0

        public init() {}

        enum CodingKeys: String, CodingKey {
            case state
            case lastCheck = "last_check"
            case lastResult = "last_result"
            case responseTimeMs = "response_time_ms"
            case consecutiveFailures = "consecutive_failures"
            case errorCount = "error_count"
        }
    }

    /// One instance's checks.
    struct InstanceHealth {
        var lastCheck: Date?
        var lastError: String?
        var responseTimeMs: Int?
        var consecutiveFailures = 0
    }

    /// One server's checks, across its processes.
    struct ServerHealth {
        var errorCount = 0
        var lastCheck: Date?
        var lastResult: String?
        var responseTimeMs: Int?
        /// Why it was last found unhealthy, until a process of it passes a check.
        var unhealthy: String?
    }

    /// What one check found.
    enum CheckOutcome: Sendable {
        case passed(Duration)
        case failed(String)
    }

    /// Sets the health check settings; the next round uses them.
    public func setHealthChecks(interval: Duration, timeout: Duration, failures: Int) {
        options.healthCheckInterval = interval
        options.healthCheckTimeout = timeout
        options.healthCheckFailures = max(1, failures)
    }

    /// Checks the running instances every `Options.healthCheckInterval` (read again each second,
    /// so a changed setting applies at once) until cancelled.
    public func runHealthChecks() async {
        var lastRound = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let interval = options.healthCheckInterval
            guard interval > .zero, !stopping, ContinuousClock.now - lastRound >= interval else { continue }
            await checkHealth()
            lastRound = .now
        }
    }

    /// Checks every running instance once, concurrently, and acts on what is found.
    public func checkHealth() async {
        let targets = instances.values.filter(\.isRunning)
        guard !targets.isEmpty else { return }
        let timeout = options.healthCheckTimeout
        let outcomes = await withTaskGroup(of: (DownstreamInstance, CheckOutcome).self) { group in
            for instance in targets {
                group.addTask { (instance, await instance.healthCheck(timeout: timeout)) }
            }
            var outcomes: [(DownstreamInstance, CheckOutcome)] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        for (instance, outcome) in outcomes { record(outcome, of: instance) }
    }

    private func record(_ outcome: CheckOutcome, of instance: DownstreamInstance) {
        let key = instance.key
        // Stopped, replaced or exited meanwhile: the check says nothing about what runs now.
        guard let current = instances[key], current === instance, instance.isRunning else { return }
        let downstream = instance.downstream
        var record = instanceHealth[key] ?? InstanceHealth()
        var server = serverHealth[downstream.id] ?? ServerHealth()
        let now = Date()
        record.lastCheck = now
        server.lastCheck = now
        switch outcome {
        case .passed(let elapsed):
            let milliseconds = Int((Self.seconds(elapsed) * 1000).rounded())
            record.lastError = nil
            record.responseTimeMs = milliseconds
            record.consecutiveFailures = 0
            server.lastResult = "ok"
            server.responseTimeMs = milliseconds
            server.unhealthy = nil
        case .failed(let reason):
            record.lastError = reason
            record.consecutiveFailures += 1
            server.lastResult = reason
            server.errorCount += 1
            logger.info(
                "health check failed",
                metadata: [
                    "junction.downstream": "\(downstream.name)", "error": "\(reason)",
                    "in_a_row": "\(record.consecutiveFailures)",
                ])
        }
        instanceHealth[key] = record
        serverHealth[downstream.id] = server
        if record.consecutiveFailures >= options.healthCheckFailures {
            markUnhealthy(instance, failures: record.consecutiveFailures, lastError: record.lastError ?? "no answer")
        }
        reportStatus(of: downstream)
    }

    /// Takes an instance that stopped answering out of service, kills it (a hung process may not
    /// heed its stdin closing) and counts a crash; a shared one starts again after the backoff.
    private func markUnhealthy(_ instance: DownstreamInstance, failures: Int, lastError: String) {
        let key = instance.key
        let downstream = instance.downstream
        let reason = "it failed \(failures) health checks in a row (last: \(lastError))"
        logger.warning(
            "server unhealthy; restarting it",
            metadata: ["junction.downstream": "\(downstream.name)", "reason": "\(reason)"])
        instances[key] = nil
        instanceHealth[key] = nil
        serverHealth[downstream.id, default: ServerHealth()].unhealthy = reason
        instance.endSubscriptions()
        instance.connection.kill()
        recordCrash(downstream, reason: reason)
        // A per-session instance starts again with its session's next call.
        guard key.sessionId == nil else { return }
        healthRestarts[key]?.cancel()
        // Cancelled by `stop(downstreamId:)` and shutdown; otherwise ends once it restarted.
        healthRestarts[key] = Task { [weak self] in
            await self?.restartAfterBackoff(key, downstream: downstream)
        }
    }

    private func restartAfterBackoff(_ key: InstanceKey, downstream: Downstream) async {
        if let restartAt = crashes[downstream.id]?.restartAt, restartAt > .now {
            try? await Task.sleep(until: restartAt, clock: .continuous)
        }
        healthRestarts[key] = nil
        guard !Task.isCancelled, !stopping, instances[key] == nil, starting[key] == nil,
            let definition = hooks.current(downstream), definition.enabled
        else { return }
        do {
            _ = try await instance(for: definition, authScopeId: key.authScopeId, sessionId: nil)
        } catch {
            logger.warning(
                "restarting an unhealthy server failed",
                metadata: ["junction.downstream": "\(downstream.name)", "error": "\(error)"])
        }
    }

    func cancelHealthRestarts(where matches: (InstanceKey) -> Bool) {
        for (key, task) in healthRestarts where matches(key) {
            task.cancel()
            healthRestarts[key] = nil
        }
    }

    /// A server's health: its running instances' checks, or the last ones made.
    func health(of downstream: Downstream) -> Health {
        let server = serverHealth[downstream.id] ?? ServerHealth()
        var health = Health()
        health.errorCount = server.errorCount
        health.lastCheck = server.lastCheck
        health.lastResult = server.lastResult
        health.responseTimeMs = server.responseTimeMs
        let records = instances.filter { $0.key.downstreamId == downstream.id && $0.value.isRunning }
            .map { instanceHealth[$0.key] ?? InstanceHealth() }
        health.consecutiveFailures = records.map(\.consecutiveFailures).max() ?? 0
        if server.unhealthy != nil && !records.contains(where: { $0.lastCheck != nil && $0.lastError == nil }) {
            health.state = "unhealthy"
        } else if health.consecutiveFailures > 0 {
            health.state = "failing"
        } else if !records.isEmpty, records.allSatisfy({ $0.lastCheck != nil }) {
            health.state = "healthy"
        }
        return health
    }
}

extension DownstreamInstance {
    /// One health check: `ping`, or `server/discover` for a modern-era server (its era dropped
    /// `ping`). Sent on the connection itself: it is not a call, and leaves idle accounting alone.
    func healthCheck(timeout: Duration) async -> DownstreamPool.CheckOutcome {
        let started = ContinuousClock.now
        let method: String
        let params: RawJSON?
        if case .modern(let version) = era {
            method = "server/discover"
            params = DownstreamPool.discoverParams(version: version)
        } else {
            method = "ping"
            params = nil
        }
        do {
            // Any answer, an error too (a server may not know `ping`), shows it is alive.
            _ = try await connection.request(method, params: params, timeout: timeout)
            return .passed(ContinuousClock.now - started)
        } catch DownstreamError.timeout {
            return .failed("no answer to \(method) within \(Int(DownstreamPool.seconds(timeout).rounded())) s")
        } catch {
            return .failed("\(method) failed: \((error as? DownstreamError)?.description ?? "\(error)")")
        }
    }
}
