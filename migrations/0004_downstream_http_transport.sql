-- How a remote (http) server is spoken to: 'auto' finds streamable HTTP or, by the spec's
-- fallback, legacy HTTP+SSE; 'streamable-http' and 'sse' pin one. Ignored for stdio servers.
ALTER TABLE downstreams ADD COLUMN http_transport TEXT NOT NULL DEFAULT 'auto'
    CHECK (http_transport IN ('auto', 'streamable-http', 'sse'));
