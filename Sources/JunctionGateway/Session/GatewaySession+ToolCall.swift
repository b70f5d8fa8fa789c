import JunctionCore
import Synchronization

/// `tools/call`: route, approve, reuse a cached result, forward, audit.
extension GatewaySession {
    func callTool(_ request: JSONRPCMessage) async throws -> JSONRPCMessage {
        let id = request.id ?? .null
        guard let params = request.params, let requested = params["name"]?.stringValue else {
            throw SessionError(code: JSONRPCErrorCode.invalidParams, message: "tools/call needs params.name")
        }
        if BuiltInTools.names.contains(requested), builtInToolsListed() {
            return try await callBuiltInTool(requested, request: request)
        }
        let name = visibleName(ofRequested: requested)
        let started = ContinuousClock.now
        let arguments = params["arguments"]
        // A modern client's retry with the input a server asked for (multi round-trip).
        let resume = try resumeState(params, method: "tools/call", subject: name)
        if state.withLock({ $0.tools[name] == nil }) { _ = await InlineTaskExecutor.runOnPool { await visibleTools() } }
        let decision = decide(name)
        // Its server listed nothing: say why it is unavailable rather than that the tool is unknown.
        var unavailable: DownstreamError?
        if state.withLock({ $0.tools[name] == nil }) { unavailable = await unavailableServer(for: decision) }
        let entry = state.withLock { $0.tools[name] }
        var record = engine.auditRecord(session: self, tool: name, decision: decision)
        record.requestId = id.description
        engine.publishDecision(decision, record: record)

        func finish(_ status: AuditRecord.Status, _ response: JSONRPCMessage) -> JSONRPCMessage {
            record.status = status
            record.setLatency(ContinuousClock.now - started)
            if response.kind == .errorResponse {
                record.errorCode = response.errorCode
                record.errorMessage = response.errorMessage
            }
            record.resultBytes = response.result?.bytes.count ?? 0
            engine.audit(record, arguments: arguments, scopeId: decision.authScope?.id)
            return response
        }

        /// Audits a call the client cancelled, or that shutdown cut short (with the error it got).
        func auditCancelled() {
            record.status = .cancelled
            record.setLatency(ContinuousClock.now - started)
            if let reason = state.withLock({ $0.shutdownReason }) {
                let answer = Self.shuttingDown(id: id, reason: reason)
                record.errorCode = answer.errorCode
                record.errorMessage = answer.errorMessage
            }
            engine.audit(record, arguments: arguments, scopeId: decision.authScope?.id)
        }

        if let unavailable {
            return finish(.error, .errorResponse(id: id, code: unavailable.code, message: unavailable.description))
        }
        // A quarantined server or tool is not listed, yet it is no unknown tool: the denial below
        // says why it is refused and how to approve it.
        let awaitsReview =
            decision.decision == .deny
            && decision.downstream.map {
                engine.awaitsReview(
                    downstreamId: $0.id, tool: decision.downstreamToolName)
            } == true
        guard entry != nil || awaitsReview else {
            return finish(
                .error,
                .errorResponse(
                    id: id, code: JSONRPCErrorCode.invalidParams,
                    message: "Unknown tool: \(name). List the tools with tools/list; names are namespace__tool."))
        }
        switch decision.decision {
        case .approve where resume?.approved == true:
            break  // approved on the first round of this request
        case .deny:
            // A tool result, not a protocol error: the model reads why, and can tell the user. The
            // audit keeps the denial's code and reason, as for any refused call.
            // The reason of a quarantine names the command that approves it; a rule's, how to see it.
            let reason =
                awaitsReview
                ? "Junction denied \(name): \(decision.reason)."
                : "Junction denied \(name): \(decision.reason). "
                    + "Change the rule with junction route (see junction dry-run \(name))."
            record.errorCode = JSONRPCErrorCode.denied
            record.errorMessage = reason
            return finish(.denied, Self.toolError(id: id, reason))
        case .approve:
            let approvalId = ULID.make()
            record.approvalId = approvalId
            var progress: (@Sendable (String) -> Void)?
            if let clientToken = params["_meta"]?["progressToken"] {
                let ticks = Mutex(0)
                progress = { [self] message in
                    let tick = ticks.withLock { count -> Int in
                        count += 1
                        return count
                    }
                    let update = RawJSON(object: [
                        ("progressToken", clientToken), ("progress", RawJSON(integer: tick)),
                        ("message", RawJSON(string: message)),
                    ])
                    notify("notifications/progress", params: update)
                }
            }
            let request = ApprovalRequest(
                id: approvalId, sessionId: self.id, clientName: clientName, toolName: name, decision: decision,
                arguments: arguments.map(engine.redact), progress: progress)
            let outcome = await InlineTaskExecutor.runOnPool { await engine.approvals.decide(request) }
            switch outcome {
            case .approved:
                break
            case .denied(let reason):
                return finish(
                    .approvalDenied, Self.toolError(id: id, "Junction: the call was not approved. \(reason)"))
            case .timedOut:
                return finish(
                    .approvalTimeout, Self.toolError(id: id, "Junction: nobody approved \(name) in time."))
            case .cancelled:
                auditCancelled()
                return .errorResponse(id: id, code: JSONRPCErrorCode.requestCancelled, message: "cancelled")
            }
        case .allow:
            break
        }
        guard let target = decision.downstream,
            let downstream = engine.downstream(id: target.id)
        else {
            return finish(
                .error,
                .errorResponse(id: id, code: JSONRPCErrorCode.downstreamUnavailable, message: decision.reason))
        }
        if let resume, resume.downstreamId != downstream.id {
            return finish(
                .error,
                .errorResponse(
                    id: id, code: JSONRPCErrorCode.invalidParams,
                    message: "\(name) is now routed to another server than the one that asked for input: "
                        + "send the call again without requestState and inputResponses"))
        }
        let originalName =
            entry.flatMap { $0.downstreamId == downstream.id ? $0.originalName : nil }
            ?? decision.downstreamToolName ?? name
        let forwarded = params.setting("name", to: RawJSON(string: originalName)) ?? params
        // The downstream sees Junction's progress token (unique on a shared server); the client
        // gets its own token back on every progress notification.
        var onProgress: (@Sendable (RawJSON) -> Void)?
        if let clientToken = params["_meta"]?["progressToken"] {
            onProgress = { [self] progress in
                let mapped = progress.setting("progressToken", to: clientToken) ?? progress
                notify("notifications/progress", params: mapped)
            }
        }
        // Tier 2: results of read-only tools (or of rules with a cache TTL) are reused for a while.
        let readOnly = entry?.readOnly == true && entry?.downstreamId == downstream.id
        // A retry carrying input depends on more than its arguments: never cached.
        let ttl =
            params["inputResponses"] != nil || resume != nil
            ? 0 : decision.matchedRule?.cacheTTLSec ?? (readOnly ? engine.readOnlyCacheTTLSec : 0)
        let cacheKey =
            ttl > 0
            ? try? ToolResultCache.Key(
                downstreamId: downstream.id, authScopeId: decision.authScope?.id, tool: originalName,
                arguments: (arguments ?? .emptyObject).bytes) : nil
        if let cacheKey, let hit = engine.resultCache.lookup(cacheKey, session: self.id) {
            record.cacheHit = true
            let result = Self.markingCacheHit(RawJSON(trusted: hit.value), age: hit.age)
            return finish(.ok, .response(id: id, result: result))
        }
        // Past its server's or its key's cap the call waits in line; past the line's bound it fails
        // with a tool error the model can read.
        let permit: CallLimiter.Permit
        do {
            permit = try await engine.callLimiter.acquire(
                server: downstream.id, serverName: downstream.name, serverCap: downstream.maxConcurrentCalls,
                key: callLimitKey)
        } catch let refusal as CallLimiter.Refusal {
            record.errorMessage = refusal.description
            return finish(.error, Self.toolError(id: id, refusal.description))
        } catch {
            auditCancelled()
            throw CancellationError()
        }
        defer { permit.release() }
        do {
            let scopeId = decision.authScope?.id
            let instance: DownstreamInstance
            if let ready = engine.pool.readyInstance(for: downstream, authScopeId: scopeId, sessionId: self.id) {
                instance = ready
            } else {
                instance = try await InlineTaskExecutor.runOnPool {
                    try await engine.pool.instance(for: downstream, authScopeId: scopeId, sessionId: self.id)
                }
            }
            engine.publishStarted(record, downstream: downstream, serverToolName: originalName)
            let response = try await forward(
                "tools/call", subject: name, params: forwarded, to: instance, resume: resume,
                approved: decision.decision == .approve, onProgress: onProgress)
            var answer = response
            answer.id = id
            let isError = response.kind == .errorResponse || response.result?["isError"]?.boolValue == true
            if var cacheKey {
                if !isError, let result = response.result, result["resultType"]?.stringValue != "input_required" {
                    // A result its server calls private is kept for this session alone.
                    if result["cacheScope"]?.stringValue == "private" { cacheKey.privateToSession = self.id }
                    engine.resultCache.put(cacheKey, value: result.bytes, ttl: .seconds(Limits.clampedSeconds(ttl)))
                }
            } else if !readOnly {
                // A call that may write through this server makes its cached reads stale.
                engine.resultCache.invalidate(downstreamId: downstream.id)
            }
            return finish(isError ? .error : .ok, answer)
        } catch let error as DownstreamError {
            if case .cancelled = error {
                auditCancelled()
                throw error
            }
            if case .timeout = error {
                return finish(.timeout, .errorResponse(id: id, code: error.code, message: error.description))
            }
            return finish(.error, .errorResponse(id: id, code: error.code, message: error.description))
        } catch let error as SessionError {
            return finish(
                .error, .errorResponse(id: id, code: error.code, message: error.message, data: error.data))
        } catch is CancellationError {
            auditCancelled()
            throw CancellationError()
        }
    }

    /// Adds `_meta["junction/cache"] = {"hit": true, "age_ms": N}` to a cached result.
    static func markingCacheHit(_ result: RawJSON, age: Duration) -> RawJSON {
        let ageMs = Int(age.components.seconds * 1000 + age.components.attoseconds / 1_000_000_000_000_000)
        let marker = RawJSON(object: [("hit", .true), ("age_ms", RawJSON(integer: ageMs))])
        let meta = result["_meta"].flatMap { $0.isObject ? $0 : nil } ?? .emptyObject
        guard let newMeta = meta.setting("junction/cache", to: marker) else { return result }
        return result.setting("_meta", to: newMeta) ?? result
    }

    static func toolError(id: RawJSON, _ text: String) -> JSONRPCMessage {
        .response(
            id: id,
            result: RawJSON(object: [
                (
                    "content",
                    RawJSON(array: [
                        RawJSON(object: [("type", RawJSON(string: "text")), ("text", RawJSON(string: text))])
                    ])
                ),
                ("isError", .true),
            ]))
    }
}
