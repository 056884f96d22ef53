-- Retailers, their keys and origins, rate-limit counters and the minimal event logs.
-- Times are Unix seconds (BIGINT) so that both dialects, and the injectable clock, agree.
-- The SQLite twin is ../sqlite/0001_core.sql; keep the two in step.

CREATE TABLE retailers (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    renders_per_hour BIGINT NOT NULL DEFAULT 10 CHECK (renders_per_hour >= 0),
    renders_per_day BIGINT NOT NULL DEFAULT 20 CHECK (renders_per_day >= 0)
);

CREATE TABLE publishable_keys (
    key TEXT PRIMARY KEY,
    retailer_id BIGINT NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX publishable_keys_retailer ON publishable_keys (retailer_id);

CREATE TABLE secret_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    retailer_id BIGINT NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    secret_sha256 BYTEA NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX secret_keys_retailer ON secret_keys (retailer_id);

CREATE TABLE allowed_origins (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    retailer_id BIGINT NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    UNIQUE (retailer_id, origin)
);

CREATE TABLE rate_limit_counters (
    retailer_id BIGINT NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    address_hash BYTEA NOT NULL,
    window_kind TEXT NOT NULL CHECK (window_kind IN ('hour', 'day')),
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (retailer_id, address_hash, window_kind, window_start)
);
CREATE INDEX rate_limit_counters_window_start ON rate_limit_counters (window_start);

CREATE TABLE security_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    retailer_id BIGINT REFERENCES retailers (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX security_events_created_at ON security_events (created_at);

CREATE TABLE widget_sessions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    retailer_id BIGINT NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX widget_sessions_created_at ON widget_sessions (created_at);

CREATE TABLE render_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    retailer_id BIGINT NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX render_events_created_at ON render_events (created_at);

CREATE TABLE analytics_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    retailer_id BIGINT NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX analytics_events_created_at ON analytics_events (created_at);
