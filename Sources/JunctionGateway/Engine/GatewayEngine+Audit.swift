import JunctionCore
import JunctionStore

/// The audit trail: one record per call, its arguments redacted off the call's path.
extension GatewayEngine {
    func auditRecord(session: GatewaySession, tool: String, decision: Decision) -> AuditRecord {
        let root: String? =
            switch session.target {
            case .folder(let path): path
            case .workspace: decision.workspace?.rootPath
            }
        return AuditRecord(
            sessionId: session.id, clientName: session.clientName, workspaceId: decision.workspace?.id,
            workspaceName: decision.workspace?.name, clientRoot: root, toolName: tool,
            downstreamId: decision.downstream?.id, downstreamName: decision.downstream?.name,
            authScopeId: decision.authScope?.id, ruleId: decision.matchedRule?.id, decision: decision.decision,
            status: .ok)
    }

    /// Queues an audit record. The arguments are redacted off the call's path (redaction scans
    /// every string for secrets), then the record goes to the batched writer.
    func audit(_ record: AuditRecord, arguments: RawJSON?, scopeId: String?) {
        redactionQueue.async { [self] in
            var record = record
            if let arguments {
                record.paramsBytes = arguments.bytes.count
                record.params = redact(arguments, scopeId: scopeId).description
            }
            // A server's error may quote what it printed, secrets included.
            record.errorMessage = record.errorMessage.map { redactor(scopeId: scopeId).redact(text: $0) }
            auditWriter.record(record)
            auditObserver(record)
        }
    }

    /// Redacts secret-looking keys and the values of the scope's secrets.
    func redact(_ json: RawJSON) -> RawJSON {
        redact(json, scopeId: nil)
    }

    func redact(_ json: RawJSON, scopeId: String?) -> RawJSON {
        RawJSON(trusted: redactor(scopeId: scopeId).redact(json.bytes))
    }

    /// One redactor per scope (its secret values and redaction hints), rebuilt when config changes.
    private func redactor(scopeId: String?) -> Redactor {
        let key = scopeId ?? ""
        if let cached = redactors.withLock({ $0[key] }) { return cached }
        var redactor = Redactor(secretValues: [])
        if let scopeId, let secrets = try? scopes.secrets(of: scopeId) {
            let hints = (try? scopes.get(scopeId).redactionHints) ?? []
            redactor = Redactor(
                secretValues: Array(secrets.env.values) + Array(secrets.headers.values), extraKeys: hints)
        }
        redactors.withLock { $0[key] = redactor }
        return redactor
    }
}
