-- A server's own cap on tool calls it runs at once; more wait in line (setting max_queued_calls).
-- NULL follows the setting max_concurrent_calls; 0 means no cap for this server.
ALTER TABLE downstreams ADD COLUMN max_concurrent_calls INTEGER
    CHECK (max_concurrent_calls IS NULL OR max_concurrent_calls BETWEEN 0 AND 10000);
