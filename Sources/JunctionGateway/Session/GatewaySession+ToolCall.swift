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

        let awaitsReview =
            decision.decision == .deny
            && decision.downstream.map { engine.awaitsReview(downstreamId: $0.id, tool: decision.downstreamToolName) }
                == true
        /// Ends the call with a refusal, audited.
        func refuse(_ refusal: ToolCallPlan.Refusal) -> JSONRPCMessage {
            if let audited = refusal.auditedError {
                record.errorCode = audited.code
                record.errorMessage = audited.message
            }
            switch refusal.answer {
            case .error(let code, let message):
                return finish(refusal.status, .errorResponse(id: id, code: code, message: message))
            case .toolError(let text):
                return finish(refusal.status, Self.toolError(id: id, text))
            }
        }

        var step = ToolCallPlan.admit(
            name, decision: decision, listed: entry != nil, awaitsReview: awaitsReview, unavailable: unavailable,
            approvedBefore: resume?.approved == true)
        if step == .awaitApproval {
            let approvalId = ULID.make()
            record.approvalId = approvalId
            let outcome = await approval(
                of: name, id: approvalId, decision: decision, arguments: arguments,
                progressToken: params["_meta"]?["progressToken"])
            step = ToolCallPlan.approved(name, outcome: outcome)
        }
        switch step {
        case .refuse(let refusal):
            return refuse(refusal)
        case .cancelled:
            auditCancelled()
            return .errorResponse(id: id, code: JSONRPCErrorCode.requestCancelled, message: "cancelled")
        case .awaitApproval, .forward:
            break
        }
        let route = ToolCallPlan.forwarding(
            name, decision: decision, downstream: decision.downstream.flatMap { engine.downstream(id: $0.id) },
            listed: entry, resume: resume, carriesInput: params["inputResponses"] != nil,
            readOnlyTTL: engine.readOnlyCacheTTLSec)
        let plan: ToolCallPlan.Forwarding
        switch route {
        case .failure(let refusal): return refuse(refusal)
        case .success(let forwarding): plan = forwarding
        }
        let downstream = plan.downstream
        let forwarded = params.setting("name", to: RawJSON(string: plan.originalName)) ?? params
        // The downstream sees Junction's progress token (unique on a shared server); the client
        // gets its own token back on every progress notification.
        var onProgress: (@Sendable (RawJSON) -> Void)?
        if let clientToken = params["_meta"]?["progressToken"] {
            onProgress = { [self] progress in
                let mapped = progress.setting("progressToken", to: clientToken) ?? progress
                notify("notifications/progress", params: mapped)
            }
        }
        let cacheKey =
            plan.cacheTTL > 0
            ? try? ToolResultCache.Key(
                downstreamId: downstream.id, authScopeId: decision.authScope?.id, tool: plan.originalName,
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
            engine.publishStarted(record, downstream: downstream, serverToolName: plan.originalName)
            let response = try await forward(
                "tools/call", subject: name, params: forwarded, to: instance, resume: resume,
                approved: decision.decision == .approve, onProgress: onProgress)
            var answer = response
            answer.id = id
            switch ToolCallPlan.cacheEffect(of: response, cacheable: cacheKey != nil, readOnly: plan.readOnly) {
            case .keep(let privateToSession):
                if var cacheKey, let result = response.result {
                    if privateToSession { cacheKey.privateToSession = self.id }
                    engine.resultCache.put(
                        cacheKey, value: result.bytes, ttl: .seconds(Limits.clampedSeconds(plan.cacheTTL)))
                }
            case .invalidateServer:
                engine.resultCache.invalidate(downstreamId: downstream.id)
            case .none:
                break
            }
            return finish(ToolCallPlan.isError(response) ? .error : .ok, answer)
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

    /// Parks a call whose routing asks for approval on the engine's gate until a person decides
    /// (or the gate times out); a client that sent a progress token hears that it still waits.
    private func approval(
        of name: String, id approvalId: String, decision: Decision, arguments: RawJSON?, progressToken: RawJSON?
    ) async -> ApprovalOutcome {
        var progress: (@Sendable (String) -> Void)?
        if let progressToken {
            let ticks = Mutex(0)
            progress = { [self] message in
                let tick = ticks.withLock { count -> Int in
                    count += 1
                    return count
                }
                let update = RawJSON(object: [
                    ("progressToken", progressToken), ("progress", RawJSON(integer: tick)),
                    ("message", RawJSON(string: message)),
                ])
                notify("notifications/progress", params: update)
            }
        }
        let request = ApprovalRequest(
            id: approvalId, sessionId: self.id, clientName: clientName, toolName: name, decision: decision,
            arguments: arguments.map(engine.redact), progress: progress)
        return await InlineTaskExecutor.runOnPool { await engine.approvals.decide(request) }
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
