//! The shared harness: an app over a test database with one retailer, requests to it, and the
//! imports every route group's tests use.

pub use std::net::SocketAddr;
pub use std::sync::Arc;
pub use std::time::Duration;

pub use axum::Router;
pub use axum::body::Body;
pub use axum::extract::ConnectInfo;
pub use axum::http::{HeaderMap, Method, Request, StatusCode, header};
pub use futures_util::{StreamExt, stream};
pub use serde_json::{Value, json};
pub use tower::ServiceExt;
pub use vitrine_server::storage::{BackendChoice, Limits, RetailerId};

pub(crate) use crate::common::{
    self, HOUR, T0, TestDb, exiftool_tags, loaded_person_gate, texture_png,
};
use vitrine_server::app::router;
use vitrine_server::clock::ManualClock;
use vitrine_server::metrics::Metrics;
use vitrine_server::rate_limit::RateLimiter;
pub use vitrine_server::render::person_gate::PersonGate;

pub const SHOP: &str = "https://shop.example";
/// The peer every request comes from unless a test says otherwise.
pub const PEER: &str = "192.0.2.10:50000";
/// A configured trusted proxy.
pub const PROXY: &str = "10.0.0.5:41000";

/// An app over a test database, with one retailer allowing [`SHOP`] and `*.brand.example`.
pub struct Api {
    pub app: Router,
    pub db: TestDb,
    pub clock: Arc<ManualClock>,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<RateLimiter>,
    pub retailer: RetailerId,
    pub key: String,
}

/// The server's body limit in these tests: room for the fixture photos, small enough to exceed.
pub const MAX_BODY: usize = common::TEST_MAX_BODY;

pub async fn api(db: TestDb) -> Api {
    api_with(db, loaded_person_gate()).await
}

pub async fn api_with(db: TestDb, person_gate: PersonGate) -> Api {
    // Ten minutes past the hour: a refusal waits fifty minutes.
    let clock = Arc::new(ManualClock::new(T0 + 600));
    let storage = db.storage.clone();
    let retailer = storage.create_retailer("Hearth & Loom", T0).await.unwrap();
    let key = storage.add_publishable_key(retailer, T0).await.unwrap();
    storage.add_origin(retailer, SHOP).await.unwrap();
    storage
        .add_origin(retailer, "https://*.brand.example")
        .await
        .unwrap();
    let state = common::test_app_state(&storage)
        .clock(clock.clone())
        .request_timeout(Duration::from_secs(2))
        .person_gate(person_gate)
        .build()
        .await
        .unwrap();
    let metrics = Arc::clone(&state.metrics);
    let limiter = Arc::clone(&state.rate_limiter);
    Api {
        app: router(state),
        db,
        clock,
        metrics,
        limiter,
        retailer,
        key,
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

impl Answer {
    /// The answer is this refusal: its status and its error code.
    #[track_caller]
    pub fn assert_refused(&self, status: StatusCode, code: &str) {
        assert_eq!(
            (self.status, self.code()),
            (status, code),
            "the answer: {}",
            self.json
        );
    }

    pub fn code(&self) -> &str {
        self.json["error"]["code"]
            .as_str()
            .unwrap_or("<no error code>")
    }
    pub fn allow_origin(&self) -> Option<&str> {
        self.headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .map(|v| v.to_str().unwrap())
    }
}

impl Api {
    pub async fn send(&self, request: Request<Body>) -> Answer {
        self.send_from(PEER, request).await
    }

    pub async fn send_from(&self, peer: &str, request: Request<Body>) -> Answer {
        let (status, headers, bytes) = self.send_raw_from(peer, request).await;
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Answer {
            status,
            headers,
            json,
        }
    }

    /// The answer's status, headers and body bytes (up to 32 MiB).
    pub async fn send_raw_from(
        &self,
        peer: &str,
        mut request: Request<Body>,
    ) -> (StatusCode, HeaderMap, Vec<u8>) {
        let peer: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 32 << 20)
            .await
            .unwrap();
        (status, headers, bytes.to_vec())
    }

    /// A second retailer, "B", allowing `https://b.example`, and its publishable key.
    pub async fn retailer_b(&self) -> (RetailerId, String) {
        let storage = &self.db.storage;
        let b = storage.create_retailer("B", T0).await.unwrap();
        let key = storage.add_publishable_key(b, T0).await.unwrap();
        storage.add_origin(b, "https://b.example").await.unwrap();
        (b, key)
    }

    pub fn config(&self, key: &str, origin: Option<&str>) -> Request<Body> {
        let mut builder = Request::get(format!("/v1/widget/{key}/config"));
        if let Some(origin) = origin {
            builder = builder.header(header::ORIGIN, origin);
        }
        builder.body(Body::empty()).unwrap()
    }

    pub fn render(&self, origin: &str, forwarded_for: Option<&str>) -> Request<Body> {
        let mut builder = Request::post(format!("/v1/widget/{}/device-renders", self.key))
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(xff) = forwarded_for {
            builder = builder.header("x-forwarded-for", xff);
        }
        builder
            .body(Body::from(json!({"product": "OAK-190"}).to_string()))
            .unwrap()
    }
}

impl Api {
    pub async fn add_product(&self, sku: &str) {
        self.db
            .storage
            .put_product(self.retailer, &common::oak_plank(sku))
            .await
            .unwrap();
    }

    pub fn photo_render(&self, origin: &str, query: &str, photo: Vec<u8>) -> Request<Body> {
        self.upload(origin, &format!("renders?{query}"), "image/jpeg", photo)
    }

    /// A `POST /v1/widget/{key}/{route}` from `origin` with its body's length declared.
    pub fn upload(
        &self,
        origin: &str,
        route: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Request<Body> {
        Request::post(format!("/v1/widget/{}/{route}", self.key))
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap()
    }

    /// A number from the database (`SELECT COUNT(*) …`).
    pub async fn count(&self, sql: &str) -> i64 {
        self.db.storage.scalar_for_tests(sql).await.unwrap()
    }

    pub async fn send_raw(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
        self.send_raw_from(PEER, request).await
    }
}
