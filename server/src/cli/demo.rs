//! The demo: the widget origin (our assets and the real API, on an embedded SQLite database) and
//! a retailer's product page on a second origin that embeds the loader with one script tag and a
//! strict CSP, as a real shop would. A demo retailer is created on first start (its key is written
//! into the shop page, its origin is the shop's); later starts reuse it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::services::ServeDir;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

use vitrine_server::app;
use vitrine_server::clock::{Clock, SystemClock};
use vitrine_server::config::{Config, DatabaseUrl};
use vitrine_server::serve::Server;
use vitrine_server::shutdown;
use vitrine_server::storage::Storage;

use super::{demo_products, static_assets};

/// Where the demo listens and what it serves.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// Widget origin address.
    pub listen: SocketAddr,
    /// Retailer origin address.
    pub shop_listen: SocketAddr,
    /// Repository root.
    pub assets_dir: PathBuf,
    /// Where the demo's SQLite database and address-hash secret live.
    pub data_dir: PathBuf,
    /// Where the person check's models are (installed by `cargo xtask demo`).
    pub models_dir: PathBuf,
    /// The demo retailer's render limits, when not the defaults (the browser tests walk the
    /// path more often in an hour than a shopper would).
    pub limits: Option<vitrine_server::storage::Limits>,
}

/// The demo retailer's name (how a later start finds it again).
pub const DEMO_RETAILER: &str = "Hearth & Loom (demo)";

/// What the handlers need.
#[derive(Debug, Clone)]
pub struct DemoState {
    /// Repository root.
    pub assets_dir: PathBuf,
    /// `http://host:port` of the widget origin, written into the shop page and its CSP.
    pub widget_origin: String,
    /// The demo retailer's publishable key, written into the shop page.
    pub publishable_key: String,
}

/// Serve both origins until SIGTERM or Ctrl-C.
pub async fn run(config: DemoConfig) -> Result<()> {
    let widget_listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let shop_listener = tokio::net::TcpListener::bind(config.shop_listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.shop_listen))?;
    let widget_addr = widget_listener.local_addr()?;
    let shop_origin = format!("http://{}", shop_listener.local_addr()?);
    let stop = shutdown::on_signal();
    let server = Server::start(&server_config(&config), stop.clone()).await?;
    let publishable_key =
        seed_demo_retailer(&server.state.storage, &shop_origin, config.limits).await?;
    let state = Arc::new(DemoState {
        assets_dir: config.assets_dir,
        widget_origin: format!("http://{widget_addr}"),
        publishable_key,
    });
    tracing::info!(widget = %widget_addr, shop = %shop_listener.local_addr()?, "demo listening");
    let widget_origin = widget_app(&state)
        .merge(app::router(server.state.clone()))
        .into_make_service_with_connect_info::<SocketAddr>();
    let widget = axum::serve(widget_listener, widget_origin)
        .with_graceful_shutdown(shutdown::signalled(stop.clone()));
    let shop = axum::serve(shop_listener, shop_app(state))
        .with_graceful_shutdown(shutdown::signalled(stop));
    let (widget, shop) = tokio::join!(widget, shop);
    widget.context("widget origin")?;
    shop.context("shop origin")?;
    server.finish().await;
    tracing::info!("demo stopped");
    Ok(())
}

/// The server's configuration for the demo: the defaults, with an SQLite database and the
/// address-hash secret in the demo's data directory, and the demo's models.
fn server_config(demo: &DemoConfig) -> Config {
    let mut config = Config::defaults();
    config.listen = demo.listen;
    config.database_url = DatabaseUrl::Sqlite(format!(
        "sqlite://{}",
        demo.data_dir.join("vitrine.db").display()
    ));
    config.data_dir = demo.data_dir.clone();
    config.models_dir = demo.models_dir.clone();
    config
}

/// Finds or creates the demo retailer, makes sure it allows `shop_origin`, and returns a live
/// publishable key of it.
pub async fn seed_demo_retailer(
    storage: &Storage,
    shop_origin: &str,
    limits: Option<vitrine_server::storage::Limits>,
) -> Result<String> {
    let now = SystemClock.now();
    let existing = storage
        .list_retailers()
        .await?
        .into_iter()
        .find(|r| r.name == DEMO_RETAILER);
    let retailer = match existing {
        Some(retailer) => retailer.id,
        None => storage.create_retailer(DEMO_RETAILER, now).await?,
    };
    if !storage
        .list_origins(retailer)
        .await?
        .iter()
        .any(|o| o.origin == shop_origin)
    {
        storage.add_origin(retailer, shop_origin).await?;
    }
    let live = storage
        .list_publishable_keys(retailer)
        .await?
        .into_iter()
        .find(|k| k.revoked_at.is_none());
    demo_products::seed(storage, retailer).await?;
    if let Some(limits) = limits {
        storage.set_limits(retailer, limits).await?;
    }
    Ok(match live {
        Some(key) => key.key,
        None => storage.add_publishable_key(retailer, now).await?,
    })
}

/// The widget origin's static assets (the API is merged in by [`run`]).
pub fn widget_app(state: &DemoState) -> Router {
    static_assets::router(&state.assets_dir).layer(request_log())
}

/// One INFO line per response with method, path, status and latency. No client address and no
/// headers (the defaults leave both out; we never add `ConnectInfo`).
fn request_log() -> TraceLayer<SharedClassifier<ServerErrorsAsFailures>> {
    TraceLayer::new_for_http()
        .make_span_with(
            DefaultMakeSpan::new()
                .level(Level::INFO)
                .include_headers(false),
        )
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}

/// The retailer's origin: the product page and its own images and styles.
pub fn shop_app(state: Arc<DemoState>) -> Router {
    let demo_dir = state.assets_dir.join("www/demo");
    Router::new()
        .route("/", get(product_page))
        .route("/healthz", get(healthz))
        .nest_service("/assets", ServeDir::new(demo_dir.join("assets")))
        .layer(request_log())
        .with_state(state)
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok" }))
}

/// The CSP a careful retailer sends: only its own origin and the widget's, a blob: worker for
/// the widget, WASM compilation allowed, nothing inline.
pub fn shop_csp(widget_origin: &str) -> String {
    [
        "default-src 'self'".to_owned(),
        format!("script-src 'self' {widget_origin} 'wasm-unsafe-eval'"),
        "worker-src blob:".to_owned(),
        format!("connect-src 'self' {widget_origin}"),
        "img-src 'self' blob: data:".to_owned(),
        "style-src 'self'".to_owned(),
        "object-src 'none'".to_owned(),
        "base-uri 'none'".to_owned(),
        "frame-ancestors 'none'".to_owned(),
        "form-action 'self'".to_owned(),
    ]
    .join("; ")
}

/// Why the demo page could not be served.
#[derive(Debug, thiserror::Error)]
enum DemoError {
    #[error("www/demo/index.html is missing")]
    PageMissing,
}

impl IntoResponse for DemoError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "demo page");
        let body = Json(serde_json::json!({ "code": "page_missing", "message": self.to_string() }));
        (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
    }
}

/// The product page, with the widget origin filled in. `?test-hooks` adds `data-test-hooks` to
/// the loader's tag, which lets the browser tests read the cleaned bytes, and loads
/// `assets/test-recorder.js` first (errors and request bodies, for engines without BiDi);
/// without it the page is exactly what a retailer would paste.
async fn product_page(
    State(state): State<Arc<DemoState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, DemoError> {
    let path = state.assets_dir.join("www/demo/index.html");
    let template = tokio::fs::read_to_string(&path)
        .await
        .map_err(|_| DemoError::PageMissing)?;
    let hooks = query.as_deref().is_some_and(|q| {
        q.split('&')
            .any(|p| p == "test-hooks" || p.starts_with("test-hooks="))
    });
    let page = template
        .replace("{{WIDGET_ORIGIN}}", &state.widget_origin)
        .replace("{{PUBLISHABLE_KEY}}", &state.publishable_key)
        .replace(
            "{{TEST_HOOKS}}",
            if hooks { " data-test-hooks" } else { "" },
        )
        .replace(
            "{{TEST_RECORDER}}",
            if hooks {
                "\n  <script src=\"/assets/test-recorder.js\"></script>"
            } else {
                ""
            },
        );
    let mut response = Html(page).into_response();
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&shop_csp(&state.widget_origin)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::{Body, to_bytes};
    use axum::http::Request;
    use tower::ServiceExt;

    /// A throwaway repository root with the files the routes serve.
    fn fixture_root(name: &str) -> PathBuf {
        let root = std::env::temp_dir().join(format!("vitrine-demo-{name}-{}", std::process::id()));
        let write = |path: &str, body: &[u8]| {
            let full = root.join(path);
            std::fs::create_dir_all(full.parent().expect("has a parent")).expect("mkdir");
            std::fs::write(full, body).expect("write fixture");
        };
        write("www/vitrine.js", b"/* loader */");
        write("www/package.json", b"{}");
        write("www/node_modules/secret/index.js", b"/* not public */");
        write(
            "www/demo/index.html",
            b"{{TEST_RECORDER}}<script src=\"{{WIDGET_ORIGIN}}/vitrine.js\" data-key=\"{{PUBLISHABLE_KEY}}\"{{TEST_HOOKS}}></script>",
        );
        write("pkg/vitrine_widget_bg.wasm", b"\0asm\x01\0\0\0");
        write("pkg/vitrine_widget.js", b"export default 1;");
        root
    }

    fn state(root: PathBuf) -> DemoState {
        DemoState {
            assets_dir: root,
            widget_origin: "http://127.0.0.1:8787".into(),
            publishable_key: "pk_TESTKEY".into(),
        }
    }

    async fn get_path(app: Router, path: &str) -> Response {
        app.oneshot(
            Request::get(path)
                .body(Body::empty())
                .expect("a valid request"),
        )
        .await
        .expect("the router is infallible")
    }

    fn header_of<'a>(response: &'a Response, name: &str) -> &'a str {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn widget_assets_are_cors_readable_with_the_right_types() {
        let app = widget_app(&state(fixture_root("types")));
        let wasm = get_path(app.clone(), "/pkg/vitrine_widget_bg.wasm").await;
        assert_eq!(wasm.status(), StatusCode::OK);
        assert_eq!(header_of(&wasm, "content-type"), "application/wasm");
        assert_eq!(header_of(&wasm, "access-control-allow-origin"), "*");
        assert_eq!(
            header_of(&wasm, "cross-origin-resource-policy"),
            "cross-origin"
        );
        let module = get_path(app.clone(), "/pkg/vitrine_widget.js").await;
        assert!(header_of(&module, "content-type").contains("javascript"));
        let loader = get_path(app.clone(), "/vitrine.js").await;
        assert_eq!(loader.status(), StatusCode::OK);
        assert!(header_of(&loader, "content-type").contains("javascript"));
        assert_eq!(header_of(&loader, "x-content-type-options"), "nosniff");
        assert!(header_of(&loader, "set-cookie").is_empty());
    }

    #[tokio::test]
    async fn nothing_else_on_disk_is_reachable() {
        let app = widget_app(&state(fixture_root("private")));
        for path in [
            "/package.json",
            "/node_modules/secret/index.js",
            "/www/vitrine.js",
            "/pkg/../www/package.json",
            "/pkg/%2e%2e/www/package.json",
            "/demo/index.html",
        ] {
            let response = get_path(app.clone(), path).await;
            assert_ne!(
                response.status(),
                StatusCode::OK,
                "{path} must not be served"
            );
        }
    }

    #[tokio::test]
    async fn the_shop_page_embeds_the_loader_under_a_strict_csp() {
        let app = shop_app(Arc::new(state(fixture_root("shop"))));
        let page = get_path(app.clone(), "/").await;
        assert_eq!(page.status(), StatusCode::OK);
        let csp = header_of(&page, "content-security-policy").to_owned();
        assert!(
            csp.contains("script-src 'self' http://127.0.0.1:8787 'wasm-unsafe-eval'"),
            "{csp}"
        );
        assert!(csp.contains("worker-src blob:"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        let body = to_bytes(page.into_body(), 1 << 20).await.expect("body");
        let html = String::from_utf8(body.to_vec()).expect("utf-8");
        assert_eq!(
            html,
            "<script src=\"http://127.0.0.1:8787/vitrine.js\" data-key=\"pk_TESTKEY\"></script>"
        );
        let hooked = get_path(app, "/?test-hooks").await;
        let body = to_bytes(hooked.into_body(), 1 << 20).await.expect("body");
        let hooked = String::from_utf8_lossy(&body);
        assert!(hooked.contains(" data-test-hooks>"), "{hooked}");
        assert!(
            hooked.contains("<script src=\"/assets/test-recorder.js\"></script>"),
            "{hooked}"
        );
    }
}
