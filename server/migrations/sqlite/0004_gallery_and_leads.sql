-- Renders a shopper chose to share publicly (002 §3, §6): kept for the retailer's gallery, pending
-- the retailer's review, until the shopper withdraws (a tokenised link, no account) or the
-- retailer removes it. The token is never stored: only its SHA-256, so the database alone cannot
-- withdraw anything. The render is our labelled JPEG (AI-generated, no other metadata).
-- Leads (002 §3, §6): the shopper asked for a render by email; the retailer is an independent
-- controller of it. The marketing opt-in is separate and never ticked by default.
-- The twin is ../postgres/0004_gallery_and_leads.sql; keep the two in step.

CREATE TABLE gallery_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    render BLOB NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    withdrawal_token_sha256 BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    reviewed_at INTEGER
);
CREATE INDEX gallery_items_by_retailer ON gallery_items (retailer_id, status, created_at);

CREATE TABLE leads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    product TEXT NOT NULL,
    render BLOB NOT NULL,
    marketing_opt_in BOOLEAN NOT NULL CHECK (marketing_opt_in IN (0, 1)),
    created_at INTEGER NOT NULL
);
CREATE INDEX leads_by_retailer ON leads (retailer_id, created_at);
