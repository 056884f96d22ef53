-- Pseudonymous analytics (reference texts 000 and 001; DESIGN.md "Analytics"): each checked event
-- with its few fields, and identifiers only for consented beacons. The CHECK makes the rule hold
-- in the database itself: a row written without consent has no session id, no anonymous id, no
-- user hash and no visitor hash — only the event counts.
-- created_at is the event's own time (the browser's clock, bounded on arrival), in Unix seconds.
-- The twin is ../postgres/0005_analytics_events.sql; keep the two in step.

CREATE TABLE analytics_events_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    first_in_session INTEGER NOT NULL DEFAULT 0 CHECK (first_in_session IN (0, 1)),
    detail TEXT,
    product TEXT,
    amount REAL,
    currency TEXT,
    consented INTEGER NOT NULL DEFAULT 0 CHECK (consented IN (0, 1)),
    session_id TEXT,
    anonymous_id TEXT,
    user_hash TEXT,
    visitor_hash TEXT,
    CHECK (consented = 1 OR (session_id IS NULL AND anonymous_id IS NULL
                             AND user_hash IS NULL AND visitor_hash IS NULL))
);
INSERT INTO analytics_events_v2 (retailer_id, name, created_at)
    SELECT retailer_id, name, created_at FROM analytics_events;
DROP TABLE analytics_events;
ALTER TABLE analytics_events_v2 RENAME TO analytics_events;
CREATE INDEX analytics_events_created_at ON analytics_events (created_at);
CREATE INDEX analytics_events_by_retailer ON analytics_events (retailer_id, created_at, name);
CREATE INDEX analytics_events_visitors ON analytics_events (retailer_id, visitor_hash, created_at)
    WHERE visitor_hash IS NOT NULL;
CREATE INDEX render_events_by_retailer ON render_events (retailer_id, created_at);
