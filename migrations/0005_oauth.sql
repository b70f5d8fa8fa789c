-- OAuth as an MCP client (issue 16). A provider row is how Junction is known to one
-- authorization server: configured by the user ('manual'), registered by Junction through
-- dynamic client registration ('dynamic', RFC 7591) or named by a client metadata document URL
-- ('metadata_document'). Its endpoints come from the user or from discovery.
ALTER TABLE oauth_providers ADD COLUMN issuer TEXT;
ALTER TABLE oauth_providers ADD COLUMN registration TEXT NOT NULL DEFAULT 'manual'
    CHECK (registration IN ('manual', 'dynamic', 'metadata_document'));
ALTER TABLE oauth_providers ADD COLUMN revocation_url TEXT;
ALTER TABLE oauth_providers ADD COLUMN device_authorization_url TEXT;
-- How the client authenticates at the token endpoint: client_secret_basic, client_secret_post, none.
ALTER TABLE oauth_providers ADD COLUMN token_auth_method TEXT NOT NULL DEFAULT 'client_secret_post'
    CHECK (token_auth_method IN ('client_secret_basic', 'client_secret_post', 'none'));
-- The redirect URIs a dynamically registered client was registered with.
ALTER TABLE oauth_providers ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '[]'
    CHECK (json_valid(redirect_uris) AND json_type(redirect_uris) = 'array');

-- A token's resource (RFC 8707), when it was issued (for refreshing at 80% of its life), and the
-- last refresh failure in words (never a token).
ALTER TABLE oauth_tokens ADD COLUMN resource TEXT;
ALTER TABLE oauth_tokens ADD COLUMN issued_at TEXT;
ALTER TABLE oauth_tokens ADD COLUMN last_error TEXT;
ALTER TABLE oauth_tokens ADD COLUMN last_error_at TEXT;
CREATE INDEX oauth_tokens_expiry ON oauth_tokens(expires_at);
