-- Junction schema, version 7: the audit trail records what changed besides calls. `kind` says
-- what a record is: a client's call (every record before this version), a server added, changed
-- or removed, a server quarantined or approved, or a setting changed. The dashboard counts calls
-- only, so the covering index of its range scans carries the kind too; it replaces the old one,
-- and a write still updates the same number of indexes.

ALTER TABLE audit_records ADD COLUMN kind TEXT NOT NULL DEFAULT 'call'
    CHECK (kind IN ('call', 'server_change', 'quarantine_change', 'config_change'));
DROP INDEX audit_created_covering;
CREATE INDEX audit_created_covering
    ON audit_records(created_at, status, latency_ms, cache_hit, tool_name, downstream_id, rule_id, error_code, kind);
