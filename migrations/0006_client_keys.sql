-- Named client keys for MCP over HTTP (/mcp, /rpc): one per person or agent of a team, each
-- optionally bound to a workspace. Only the SHA-256 of the key is kept (hex); the key itself is
-- shown once, when it is made. A key goes with its workspace. Revoking deletes the row, so the
-- next request with the key is refused.
CREATE TABLE client_keys (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    workspace_id TEXT REFERENCES workspaces(id) ON DELETE CASCADE,
    created_at DATETIME NOT NULL
);
