-- One row that the readiness check rewrites and commits (see `Storage::check_writable`): a
-- database that can answer but not store (full disk, read-only file system) is not ready.
-- The twin is ../postgres/0006_write_checks.sql; keep the two in step.
CREATE TABLE write_checks (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    writes BIGINT NOT NULL
);
