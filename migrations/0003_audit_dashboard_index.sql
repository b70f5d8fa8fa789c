-- The dashboard reads whole ranges of the audit trail (a week can be a million rows). With only
-- an index on created_at, SQLite fetched every row of the range from the table, one random read
-- each; this index holds every column the range scans use, so they read it in time order and
-- never touch the table. It replaces audit_created (its first column), so a write still updates
-- the same number of indexes.
DROP INDEX audit_created;
CREATE INDEX audit_created_covering
    ON audit_records(created_at, status, latency_ms, cache_hit, tool_name, downstream_id, rule_id, error_code);
