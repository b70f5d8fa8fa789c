import JunctionCore

/// What the session's servers offer and how its names route: the catalogs every listing starts
/// from, the auth scope a server is discovered with, and why a server offers nothing.
extension GatewaySession {
    /// The client-visible name a requested tool name stands for: itself, or, in a session serving
    /// one server under its tools' own names, that server's namespaced name.
    func visibleName(ofRequested name: String) -> String {
        guard let onlyDownstream,
            let downstream = engine.downstream(id: onlyDownstream)
        else { return name }
        return ToolNaming.visibleName(namespace: downstream.namespace, name: name)
    }

    func decide(_ visibleName: String) -> Decision {
        engine.route(tool: visibleName, for: target)
    }

    /// The auth scope used to list (and read resources and prompts of) a downstream: the one routing
    /// gives its namespace in this session (a rule such as `github__*` with a scope), so a server
    /// that needs credentials to start can be discovered, and calls reuse the same process.
    func discoveryScope(for downstream: Downstream) -> String? {
        // Probe with a known tool when one was catalogued, else with a name any `ns__*` rule matches.
        let known = engine.storedCatalog(of: downstream.id)?.tools.lazy.compactMap { $0["name"]?.stringValue }
        var probes = known.map { Array($0.prefix(8)) } ?? []
        probes.append("*")
        for probe in probes {
            let decision = decide(ToolNaming.visibleName(namespace: downstream.namespace, name: probe))
            if decision.decision != .deny, decision.downstream?.id == downstream.id { return decision.authScope?.id }
        }
        return nil
    }

    /// Runs `body` for every enabled downstream concurrently, with its shared instance.
    func eachDownstream<T: Sendable>(
        _ body: @escaping @Sendable (Downstream, DownstreamInstance) async -> T?
    ) async -> [(Downstream, T)] {
        let sessionId = id
        let pool = engine.pool
        return await eachEnabledDownstream { downstream in
            guard
                let instance = try? await pool.instance(
                    for: downstream, authScopeId: self.discoveryScope(for: downstream), sessionId: sessionId)
            else { return nil }
            return await body(downstream, instance)
        }
    }

    /// What every enabled downstream offers, fast: a running server's live catalog, else the
    /// catalog stored at its last discovery (and the server is started in the background to
    /// refresh it; a change brings list_changed), else the server is started and discovered now.
    func catalogs() async -> [(Downstream, Catalog)] {
        let sessionId = id
        let engine = engine
        let catalogTTL = engine.presentation.catalogTTLSec
        return await eachEnabledDownstream { downstream in
            if let running = engine.pool.readyInstance(
                for: downstream, authScopeId: self.discoveryScope(for: downstream), sessionId: sessionId)
            {
                if catalogTTL > 0 {
                    // Short: one actor hop that may schedule a re-listing; ends by itself.
                    Task { await engine.pool.refreshCatalog(of: running, olderThan: .seconds(catalogTTL)) }
                }
                return await running.currentCatalog()
            }
            if let stored = engine.storedCatalog(of: downstream.id) {
                // Refresh in the background; the pool starts it once however many sessions ask.
                Task {
                    _ = try? await engine.pool.instance(
                        for: downstream, authScopeId: self.discoveryScope(for: downstream), sessionId: sessionId)
                }
                return stored
            }
            // Never discovered: started now, and waited for a while only when it has not failed
            // before. A server hanging in initialize must not hold every session's listing for
            // its whole startup timeout; once up it is listed (its discovery brings list_changed).
            let scope = self.discoveryScope(for: downstream)
            let start = Task {
                try? await engine.pool.instance(for: downstream, authScopeId: scope, sessionId: sessionId).catalog
            }
            if await engine.pool.status(of: downstream).lastError != nil { return nil }
            return await Self.value(of: start, within: engine.uncataloguedListingPatience)
        }
    }

    /// The task's value if it ends within `limit`, else nil; the task goes on either way.
    static func value<T: Sendable>(of task: Task<T?, Never>, within limit: Duration) async -> T? {
        let (outcome, finish) = AsyncStream<T?>.makeStream(bufferingPolicy: .bufferingNewest(1))
        // Both end by themselves: the waiter with the task, the timer at the limit (or cancelled).
        Task {
            let value = await task.value
            finish.yield(value)
            finish.finish()
        }
        let timer = Task {
            try? await Task.sleep(for: limit)
            finish.finish()
        }
        defer { timer.cancel() }
        for await value in outcome { return value }
        return nil
    }

    /// Why the server a tool name routes to offers no tools: it cannot be started (failed to
    /// start, in backoff, disabled), as the error to answer with. Nil when it runs (its tools were
    /// listed again meanwhile) or the name routes nowhere.
    func unavailableServer(for decision: Decision) async -> DownstreamError? {
        guard decision.decision != .deny, let target = decision.downstream,
            let downstream = engine.downstream(id: target.id),
            !downstream.quarantined
        else { return nil }
        // Waiting out a backoff only to fail again helps nobody: its last failure is the answer now.
        let status = await engine.pool.status(of: downstream)
        if let lastError = status.lastError, status.state == "backoff" || status.state == "crash_loop" {
            let prefix = "server '\(downstream.name)' is unavailable: "
            let cause = lastError.hasPrefix(prefix) ? String(lastError.dropFirst(prefix.count)) : lastError
            let retry = status.restartInSeconds.map { "; next start in \(Int($0.rounded(.up))) s" } ?? ""
            return .unavailable(server: downstream.name, reason: cause + retry, stderr: [])
        }
        let scope = decision.authScope?.id ?? discoveryScope(for: downstream)
        do {
            _ = try await InlineTaskExecutor.runOnPool { [engine, id] in
                try await engine.pool.instance(for: downstream, authScopeId: scope, sessionId: id)
            }
        } catch let error as DownstreamError {
            if case .cancelled = error { return nil }
            return error
        } catch {
            return nil
        }
        _ = await InlineTaskExecutor.runOnPool { await visibleTools() }
        return nil
    }

    func eachEnabledDownstream<T: Sendable>(
        _ body: @escaping @Sendable (Downstream) async -> T?
    ) async -> [(Downstream, T)] {
        let downstreams = engine.downstreams.filter {
            $0.enabled && !$0.quarantined && (onlyDownstream == nil || $0.id == onlyDownstream)
        }
        return await withTaskGroup(of: (Int, Downstream, T?).self) { group in
            for (index, downstream) in downstreams.enumerated() {
                group.addTask { (index, downstream, await body(downstream)) }
            }
            var results: [(Int, Downstream, T)] = []
            for await (index, downstream, value) in group {
                if let value { results.append((index, downstream, value)) }
            }
            return results.sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
        }
    }
}
