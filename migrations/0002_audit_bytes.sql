-- Junction schema, version 2: audit records keep the size of the call's arguments as the client
-- sent them (before redaction), next to result_bytes.

ALTER TABLE audit_records ADD COLUMN params_bytes INTEGER NOT NULL DEFAULT 0 CHECK (params_bytes >= 0);
