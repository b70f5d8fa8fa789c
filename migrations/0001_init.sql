-- Junction schema, version 1.
--
-- Conventions: ids are text ULIDs; timestamps are UTC text 'YYYY-MM-DD HH:MM:SS.SSS' (GRDB's Date
-- format, which sorts as time); JSON columns are checked with json_valid; booleans are 0/1.
-- Configuration tables bump config_state.generation through triggers, so every write, from any
-- process or tool, invalidates routing caches. History tables (audit_records, approvals) keep ids
-- and names without foreign keys: history must neither block nor vanish with configuration.

CREATE TABLE config_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL DEFAULT 0
);
INSERT INTO config_state (id, generation) VALUES (1, 0);

CREATE TABLE workspaces (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
        CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9._-]*'),
    root_path TEXT NOT NULL UNIQUE CHECK (substr(root_path, 1, 1) = '/'),
    default_policy TEXT NOT NULL DEFAULT 'allow' CHECK (default_policy IN ('allow', 'deny', 'approve')),
    tags TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(tags) AND json_type(tags) = 'object'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE downstreams (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
        CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9._-]*'),
    namespace TEXT NOT NULL UNIQUE
        CHECK (length(namespace) BETWEEN 1 AND 24 AND namespace NOT GLOB '*[^a-z0-9-]*'),
    transport TEXT NOT NULL DEFAULT 'stdio' CHECK (transport IN ('stdio', 'http')),
    command TEXT,
    args TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(args) AND json_type(args) = 'array'),
    env TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(env) AND json_type(env) = 'object'),
    cwd TEXT CHECK (cwd IS NULL OR substr(cwd, 1, 1) = '/'),
    url TEXT,
    headers TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(headers) AND json_type(headers) = 'object'),
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    quarantined INTEGER NOT NULL DEFAULT 0 CHECK (quarantined IN (0, 1)),
    instance_mode TEXT NOT NULL DEFAULT 'shared' CHECK (instance_mode IN ('shared', 'per_session')),
    idle_timeout_sec INTEGER NOT NULL DEFAULT 600 CHECK (idle_timeout_sec >= 0),
    call_timeout_sec INTEGER NOT NULL DEFAULT 120 CHECK (call_timeout_sec > 0),
    tags TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(tags) AND json_type(tags) = 'object'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (
        (transport = 'stdio' AND command IS NOT NULL AND length(command) > 0)
        OR (transport = 'http' AND url IS NOT NULL AND length(url) > 0)
    )
);

CREATE TABLE oauth_providers (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
        CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9._-]*'),
    auth_url TEXT NOT NULL,
    token_url TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_sealed BLOB,
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- A scope's credentials belong to its downstream: deleting the downstream deletes them.
-- A provider in use by a scope cannot be deleted (RESTRICT): the scope would stop working silently.
CREATE TABLE auth_scopes (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE
        CHECK (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9._-]*'),
    downstream_id TEXT NOT NULL REFERENCES downstreams(id) ON DELETE CASCADE,
    kind TEXT NOT NULL DEFAULT 'env' CHECK (kind IN ('env', 'oauth')),
    env_sealed BLOB,
    env_keys TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(env_keys) AND json_type(env_keys) = 'array'),
    headers_sealed BLOB,
    header_keys TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(header_keys) AND json_type(header_keys) = 'array'),
    oauth_provider_id TEXT REFERENCES oauth_providers(id) ON DELETE RESTRICT,
    redaction_hints TEXT NOT NULL DEFAULT '[]'
        CHECK (json_valid(redaction_hints) AND json_type(redaction_hints) = 'array'),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CHECK (kind = 'env' OR oauth_provider_id IS NOT NULL)
);
CREATE INDEX auth_scopes_downstream ON auth_scopes(downstream_id);
CREATE INDEX auth_scopes_oauth_provider ON auth_scopes(oauth_provider_id);

CREATE TABLE oauth_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    auth_scope_id TEXT NOT NULL UNIQUE REFERENCES auth_scopes(id) ON DELETE CASCADE,
    access_token_sealed BLOB NOT NULL,
    refresh_token_sealed BLOB,
    token_type TEXT NOT NULL DEFAULT 'Bearer',
    scopes TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(scopes) AND json_type(scopes) = 'array'),
    expires_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Rules die with their workspace (CASCADE): they mean nothing without it. A downstream or scope
-- that rules name cannot be deleted (RESTRICT) unless the caller removes those rules first, so a
-- deny rule never disappears as a side effect.
CREATE TABLE route_rules (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT UNIQUE
        CHECK (name IS NULL OR (length(name) BETWEEN 1 AND 64 AND name NOT GLOB '*[^A-Za-z0-9._-]*')),
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
    path_glob TEXT NOT NULL DEFAULT '**' CHECK (length(path_glob) > 0),
    tool_pattern TEXT NOT NULL CHECK (length(tool_pattern) > 0),
    downstream_id TEXT REFERENCES downstreams(id) ON DELETE RESTRICT,
    auth_scope_id TEXT REFERENCES auth_scopes(id) ON DELETE RESTRICT,
    policy TEXT NOT NULL DEFAULT 'allow' CHECK (policy IN ('allow', 'deny', 'approve')),
    priority INTEGER NOT NULL DEFAULT 0,
    approval_timeout_sec INTEGER CHECK (approval_timeout_sec IS NULL OR approval_timeout_sec > 0),
    cache_ttl_sec INTEGER CHECK (cache_ttl_sec IS NULL OR cache_ttl_sec >= 0),
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX route_rules_workspace ON route_rules(workspace_id, priority DESC, id);
CREATE INDEX route_rules_downstream ON route_rules(downstream_id);
CREATE INDEX route_rules_auth_scope ON route_rules(auth_scope_id);

-- What each downstream offered when last discovered.
CREATE TABLE tool_catalog (
    id TEXT PRIMARY KEY NOT NULL,
    downstream_id TEXT NOT NULL REFERENCES downstreams(id) ON DELETE CASCADE,
    kind TEXT NOT NULL DEFAULT 'tool' CHECK (kind IN ('tool', 'resource', 'resource_template', 'prompt')),
    name TEXT NOT NULL,
    title TEXT,
    description TEXT,
    input_schema TEXT CHECK (input_schema IS NULL OR json_valid(input_schema)),
    output_schema TEXT CHECK (output_schema IS NULL OR json_valid(output_schema)),
    annotations TEXT CHECK (annotations IS NULL OR json_valid(annotations)),
    raw TEXT CHECK (raw IS NULL OR json_valid(raw)),
    sha256 TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    UNIQUE (downstream_id, kind, name)
);
CREATE INDEX tool_catalog_name ON tool_catalog(name);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    client_name TEXT,
    client_version TEXT,
    protocol_version TEXT,
    transport TEXT NOT NULL DEFAULT 'stdio' CHECK (transport IN ('stdio', 'socket', 'http')),
    client_root TEXT,
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE SET NULL,
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
    started_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX sessions_status ON sessions(status, last_seen_at);

CREATE TABLE audit_records (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    session_id TEXT,
    client_name TEXT,
    workspace_id TEXT,
    workspace_name TEXT,
    client_root TEXT,
    method TEXT NOT NULL DEFAULT 'tools/call',
    tool_name TEXT NOT NULL,
    downstream_id TEXT,
    downstream_name TEXT,
    auth_scope_id TEXT,
    rule_id TEXT,
    decision TEXT NOT NULL CHECK (decision IN ('allow', 'deny', 'approve')),
    status TEXT NOT NULL
        CHECK (status IN ('ok', 'error', 'denied', 'timeout', 'cancelled', 'approval_denied', 'approval_timeout')),
    error_code INTEGER,
    error_message TEXT,
    params TEXT CHECK (params IS NULL OR json_valid(params)),
    result_bytes INTEGER NOT NULL DEFAULT 0 CHECK (result_bytes >= 0),
    latency_ms REAL NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
    cache_hit INTEGER NOT NULL DEFAULT 0 CHECK (cache_hit IN (0, 1)),
    approval_id TEXT,
    request_id TEXT
);
CREATE INDEX audit_created ON audit_records(created_at);
CREATE INDEX audit_tool ON audit_records(tool_name, created_at);
CREATE INDEX audit_workspace ON audit_records(workspace_id, created_at);
CREATE INDEX audit_session ON audit_records(session_id, created_at);
CREATE INDEX audit_status ON audit_records(status, created_at);
CREATE INDEX audit_downstream ON audit_records(downstream_id, created_at);

CREATE TABLE approvals (
    id TEXT PRIMARY KEY NOT NULL,
    created_at TEXT NOT NULL,
    session_id TEXT REFERENCES sessions(id) ON DELETE SET NULL,
    client_name TEXT,
    workspace_id TEXT,
    workspace_name TEXT,
    tool_name TEXT NOT NULL,
    downstream_id TEXT,
    downstream_name TEXT,
    rule_id TEXT,
    params TEXT CHECK (params IS NULL OR json_valid(params)),
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'approved', 'denied', 'timed_out', 'cancelled', 'expired')),
    timeout_sec INTEGER NOT NULL DEFAULT 300 CHECK (timeout_sec > 0),
    expires_at TEXT NOT NULL,
    resolution TEXT,
    resolved_by TEXT,
    remember TEXT NOT NULL DEFAULT 'none' CHECK (remember IN ('none', 'session', 'workspace')),
    resolved_at TEXT,
    CHECK ((status = 'pending') = (resolved_at IS NULL))
);
CREATE INDEX approvals_status ON approvals(status, created_at);
CREATE INDEX approvals_session ON approvals(session_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    value TEXT NOT NULL CHECK (json_valid(value)),
    updated_at TEXT NOT NULL
);

-- Every write to configuration bumps the generation, whoever makes it.
CREATE TRIGGER workspaces_ai AFTER INSERT ON workspaces BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER workspaces_au AFTER UPDATE ON workspaces BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER workspaces_ad AFTER DELETE ON workspaces BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER downstreams_ai AFTER INSERT ON downstreams BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER downstreams_au AFTER UPDATE ON downstreams BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER downstreams_ad AFTER DELETE ON downstreams BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER route_rules_ai AFTER INSERT ON route_rules BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER route_rules_au AFTER UPDATE ON route_rules BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER route_rules_ad AFTER DELETE ON route_rules BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER auth_scopes_ai AFTER INSERT ON auth_scopes BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER auth_scopes_au AFTER UPDATE ON auth_scopes BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER auth_scopes_ad AFTER DELETE ON auth_scopes BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER oauth_providers_ai AFTER INSERT ON oauth_providers BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER oauth_providers_au AFTER UPDATE ON oauth_providers BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER oauth_providers_ad AFTER DELETE ON oauth_providers BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER settings_ai AFTER INSERT ON settings BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER settings_au AFTER UPDATE ON settings BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER settings_ad AFTER DELETE ON settings BEGIN UPDATE config_state SET generation = generation + 1; END;
