-- One row that the readiness check rewrites and commits (see `Storage::check_writable`): a
-- database that can answer but not store (full disk, read-only file system or a standby) is not
-- ready.
-- The twin is ../sqlite/0006_write_checks.sql; keep the two in step.
CREATE TABLE write_checks (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    writes BIGINT NOT NULL
);
