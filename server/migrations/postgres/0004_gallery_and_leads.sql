-- Renders a shopper chose to share publicly (002 §3, §6): kept for the retailer's gallery, pending
-- the retailer's review, until the shopper withdraws (a tokenised link, no account) or the
-- retailer removes it. The token is never stored: only its SHA-256, so the database alone cannot
-- withdraw anything. The render is our labelled JPEG (AI-generated, no other metadata).
-- Leads (002 §3, §6): the shopper asked for a render by email; the retailer is an independent
-- controller of it. The marketing opt-in is separate and never ticked by default.
-- The twin is ../sqlite/0004_gallery_and_leads.sql; keep the two in step.

CREATE TABLE gallery_items (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    retailer_id BIGINT NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    product TEXT NOT NULL,
    render BYTEA NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    withdrawal_token_sha256 BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    reviewed_at BIGINT
);
CREATE INDEX gallery_items_by_retailer ON gallery_items (retailer_id, status, created_at);

CREATE TABLE leads (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    retailer_id BIGINT NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    product TEXT NOT NULL,
    render BYTEA NOT NULL,
    marketing_opt_in BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX leads_by_retailer ON leads (retailer_id, created_at);
