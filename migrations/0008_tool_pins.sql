-- Tool pinning (defence against tool poisoning and rug pulls): the SHA-256 of each tool's
-- canonical definition (name, description, inputSchema, outputSchema) as last approved. First
-- sight counts as approval unless the server is quarantined. A later discovery whose hash differs
-- keeps the new definition beside the pinned one (changed_*) and the tool is quarantined until
-- `junction server approve-tools` re-pins it. Pins outlive the tool's absence from a listing, so a
-- tool removed and brought back changed is caught too; they go with their server.
CREATE TABLE tool_pins (
    downstream_id TEXT NOT NULL REFERENCES downstreams(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    definition TEXT NOT NULL CHECK (json_valid(definition)),
    pinned_at TEXT NOT NULL,
    changed_sha256 TEXT,
    changed_definition TEXT CHECK (changed_definition IS NULL OR json_valid(changed_definition)),
    changed_at TEXT,
    PRIMARY KEY (downstream_id, name)
);

-- A tool entering or leaving quarantine changes routing: bump the generation as configuration does.
CREATE TRIGGER tool_pins_au AFTER UPDATE OF changed_sha256 ON tool_pins
    WHEN OLD.changed_sha256 IS NOT NEW.changed_sha256
    BEGIN UPDATE config_state SET generation = generation + 1; END;
CREATE TRIGGER tool_pins_ad AFTER DELETE ON tool_pins
    WHEN OLD.changed_sha256 IS NOT NULL
    BEGIN UPDATE config_state SET generation = generation + 1; END;
