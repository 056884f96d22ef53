-- Retailers, their keys and origins, rate-limit counters and the minimal event logs.
-- Times are Unix seconds (INTEGER) so that both dialects, and the injectable clock, agree.
-- The PostgreSQL twin is ../postgres/0001_core.sql; keep the two in step.

CREATE TABLE retailers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    renders_per_hour INTEGER NOT NULL DEFAULT 10 CHECK (renders_per_hour >= 0),
    renders_per_day INTEGER NOT NULL DEFAULT 20 CHECK (renders_per_day >= 0)
);

CREATE TABLE publishable_keys (
    key TEXT PRIMARY KEY,
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX publishable_keys_retailer ON publishable_keys (retailer_id);

CREATE TABLE secret_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    secret_sha256 BLOB NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX secret_keys_retailer ON secret_keys (retailer_id);

CREATE TABLE allowed_origins (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    UNIQUE (retailer_id, origin)
);

CREATE TABLE rate_limit_counters (
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    address_hash BLOB NOT NULL,
    window_kind TEXT NOT NULL CHECK (window_kind IN ('hour', 'day')),
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (retailer_id, address_hash, window_kind, window_start)
);
CREATE INDEX rate_limit_counters_window_start ON rate_limit_counters (window_start);

CREATE TABLE security_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id INTEGER REFERENCES retailers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX security_events_created_at ON security_events (created_at);

CREATE TABLE widget_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX widget_sessions_created_at ON widget_sessions (created_at);

CREATE TABLE render_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX render_events_created_at ON render_events (created_at);

CREATE TABLE analytics_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX analytics_events_created_at ON analytics_events (created_at);
