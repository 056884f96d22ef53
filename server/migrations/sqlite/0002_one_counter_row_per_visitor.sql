-- One rate-limit row per (retailer, visitor) holding both windows, instead of one row per window:
-- half the rows to lock and write per render (measured: the counting transaction is what limits
-- throughput). Counters are short-lived abuse protection, so they are dropped, not converted:
-- every visitor starts this hour and day with a full allowance once.
-- The PostgreSQL twin is ../postgres/0002_one_counter_row_per_visitor.sql.

DROP TABLE rate_limit_counters;

CREATE TABLE rate_limit_counters (
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    -- HMAC-SHA256 of the visitor's address (IPv6: its /64) under the server's secret.
    address_hash BLOB NOT NULL,
    hour_start INTEGER NOT NULL,
    hour_count INTEGER NOT NULL CHECK (hour_count >= 0),
    day_start INTEGER NOT NULL,
    day_count INTEGER NOT NULL CHECK (day_count >= 0),
    PRIMARY KEY (retailer_id, address_hash)
);
CREATE INDEX rate_limit_counters_hour_start ON rate_limit_counters (hour_start);
