-- Pseudonymous analytics (reference texts 000 and 001; DESIGN.md "Analytics"): each checked event
-- with its few fields, and identifiers only for consented beacons. The CHECK makes the rule hold
-- in the database itself: a row written without consent has no session id, no anonymous id, no
-- user hash and no visitor hash — only the event counts.
-- created_at is the event's own time (the browser's clock, bounded on arrival), in Unix seconds.
-- The twin is ../sqlite/0005_analytics_events.sql; keep the two in step.

ALTER TABLE analytics_events
    ADD COLUMN first_in_session INTEGER NOT NULL DEFAULT 0 CHECK (first_in_session IN (0, 1)),
    ADD COLUMN detail TEXT,
    ADD COLUMN product TEXT,
    ADD COLUMN amount DOUBLE PRECISION,
    ADD COLUMN currency TEXT,
    ADD COLUMN consented INTEGER NOT NULL DEFAULT 0 CHECK (consented IN (0, 1)),
    ADD COLUMN session_id TEXT,
    ADD COLUMN anonymous_id TEXT,
    ADD COLUMN user_hash TEXT,
    ADD COLUMN visitor_hash TEXT,
    ADD CONSTRAINT analytics_events_no_identifier_without_consent
        CHECK (consented = 1 OR (session_id IS NULL AND anonymous_id IS NULL
                                 AND user_hash IS NULL AND visitor_hash IS NULL));
CREATE INDEX analytics_events_by_retailer ON analytics_events (retailer_id, created_at, name);
CREATE INDEX analytics_events_visitors ON analytics_events (retailer_id, visitor_hash, created_at)
    WHERE visitor_hash IS NOT NULL;
CREATE INDEX render_events_by_retailer ON render_events (retailer_id, created_at);
