//! The widget's public static assets (loader, UI modules, worker body, wasm-bindgen output),
//! served to any retailer page: CORS-readable, correctly typed, and nothing else from disk.
//!
//! Each route names the file or folder it serves, so `www/node_modules`, the Playwright tests or
//! the repository itself can never be fetched by guessing a path.

use std::path::Path;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;

/// The files at the root of the widget origin, from `www/`.
const WIDGET_FILES: &[&str] = &["vitrine.js", "analytics.js", "photo-worker.js"];

/// Routes for the widget's assets under `root` (the repository root).
pub fn router(root: &Path) -> Router {
    let www = root.join("www");
    let mut router = Router::new();
    for file in WIDGET_FILES {
        router = router.route_service(&format!("/{file}"), ServeFile::new(www.join(file)));
    }
    router
        // The widget's UI (main.js, one module per step, its stylesheet and words table).
        .nest_service("/widget", ServeDir::new(www.join("widget")))
        .nest_service("/pkg", ServeDir::new(root.join("pkg")))
        // The build with the Rust codec, for the in-browser benchmark only.
        .nest_service(
            "/pkg-rust-codec",
            ServeDir::new(root.join("pkg-rust-codec")),
        )
        .nest_service("/bench", ServeDir::new(www.join("bench")))
        // The npm library the benchmark compares against (its worker loads the UMD build).
        .nest_service(
            "/vendor/browser-image-compression",
            ServeDir::new(www.join("node_modules/browser-image-compression/dist")),
        )
        // Public, credential-free files: any retailer origin may load them (module scripts and
        // WASM streaming compilation need CORS). No cookies are ever read or set here.
        .layer(SetResponseHeaderLayer::overriding(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // The demo is rebuilt often; a production deployment would serve hashed names immutably.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
}
