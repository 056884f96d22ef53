-- The retailer's products the built-in compositor can lay into a room: one seamless texture tile
-- each, its real size in millimetres (integers, so both dialects agree exactly) and the surface
-- it belongs on. The texture is the image file as uploaded (PNG, JPEG or WebP, at most 4 MiB).
-- The twin is ../postgres/0003_products_and_render_backends.sql; keep the two in step.

CREATE TABLE products (
    retailer_id INTEGER NOT NULL REFERENCES retailers (id) ON DELETE CASCADE,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    surface TEXT NOT NULL CHECK (surface IN ('floor', 'wall')),
    tile_width_mm INTEGER NOT NULL CHECK (tile_width_mm BETWEEN 1 AND 100000),
    tile_height_mm INTEGER NOT NULL CHECK (tile_height_mm BETWEEN 1 AND 100000),
    texture BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (retailer_id, sku)
);

-- Which backend renders for the retailer: the built-in compositor, or a hosted AI API the server
-- is configured for (its key lives in the server's configuration, never in the database).
ALTER TABLE retailers ADD COLUMN render_backend TEXT NOT NULL DEFAULT 'builtin'
    CHECK (render_backend IN ('builtin', 'openai', 'gemini'));
