//! The server's HTTP application: shared state, routes, and the layers every request passes.
//!
//! From the outside in: metrics and a log line per request (route template, status, latency —
//! never the address, the path's key or the query), cookie removal (we neither read nor set any),
//! the request timeout, and the body-size check; then the widget routes behind
//! [`crate::widget_guard`], or the operations routes. The state they share, and how it is built:
//! [`state`].

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, options};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api::error::ApiError;
use crate::api::json_body::MAX_JSON_BYTES;
use crate::api::upload::declared_length;
use crate::api::{ApiDoc, analytics, gallery, leads, operations, render, widget};
use crate::metrics;
use crate::widget_guard::{self, GuardState};

mod state;
pub use state::{AppState, AppStateBuilder, AppStateError};

/// The state as handlers and middleware receive it: one pointer to clone per layer.
pub type Shared = Arc<AppState>;

/// The application, with its OpenAPI document served at `/openapi.json`.
pub fn router(state: AppState) -> Router {
    let state: Shared = Arc::new(state);
    let (router, api) = api_router(&state).split_for_parts();
    let api = Arc::new(api);
    let router = router
        .route(
            "/openapi.json",
            get(move || {
                let api = Arc::clone(&api);
                async move { Json(api.as_ref().clone()) }
            }),
        )
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(state.max_body_bytes))
        .layer(from_fn_with_state(Arc::clone(&state), enforce_timeout))
        .layer(from_fn(no_cookies))
        .layer(from_fn_with_state(
            Arc::clone(&state.metrics),
            metrics::record,
        ));
    router.with_state(state)
}

/// The documented routes.
pub fn api_router(state: &AppState) -> OpenApiRouter<Shared> {
    let guard = GuardState {
        storage: state.storage.clone(),
        clock: Arc::clone(&state.clock),
        keys: Arc::clone(&state.keys),
    };
    // The `options` routes exist so preflights reach the gate, which answers them itself.
    let guard = Arc::new(guard);
    // Inside the gate: a stranger's oversized body gets 401/403, not 413.
    let widget_json = OpenApiRouter::new()
        .routes(routes!(widget::config))
        .routes(routes!(widget::device_render))
        .routes(routes!(widget::product))
        .routes(routes!(widget::product_texture))
        .routes(routes!(analytics::ingest))
        .routes(routes!(analytics::user_salt))
        .route("/v1/widget/{key}/config", options(preflight))
        .route("/v1/widget/{key}/events", options(preflight))
        .route("/v1/widget/{key}/analytics/salt", options(preflight))
        .route("/v1/widget/{key}/products/{sku}", options(preflight))
        .route(
            "/v1/widget/{key}/products/{sku}/texture",
            options(preflight),
        )
        .route("/v1/widget/{key}/device-renders", options(preflight))
        .layer(DefaultBodyLimit::max(MAX_JSON_BYTES))
        .layer(from_fn_with_state(
            Arc::new(state.max_body_bytes),
            check_content_length,
        ))
        .route_layer(from_fn_with_state(Arc::clone(&guard), widget_guard::admit));
    // The render route checks the body's size itself, after the rate limit (see its handler).
    let widget_render = OpenApiRouter::new()
        .routes(routes!(render::render))
        .routes(routes!(gallery::share))
        .routes(routes!(leads::create))
        .route("/v1/widget/{key}/renders", options(preflight))
        .route("/v1/widget/{key}/gallery", options(preflight))
        .route("/v1/widget/{key}/leads", options(preflight))
        .route_layer(from_fn_with_state(guard, widget_guard::admit));
    let widget = widget_json.merge(widget_render);
    // The withdrawal link is opened from anywhere the shopper kept it: no key, no origin.
    let public = OpenApiRouter::new().routes(routes!(gallery::withdraw));
    // Server to server, with the retailer's secret key: no CORS, so no browser can read it.
    let retailer = OpenApiRouter::new().routes(routes!(analytics::report));
    let operations = OpenApiRouter::new()
        .routes(routes!(operations::healthz))
        .routes(routes!(operations::readyz))
        .routes(routes!(operations::metrics));
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(widget)
        .merge(operations)
        .merge(public)
        .merge(retailer)
}

/// The OpenAPI document, as `/openapi.json` serves it.
pub fn openapi(state: &AppState) -> utoipa::openapi::OpenApi {
    api_router(state).into_openapi()
}

/// Never reached: [`widget_guard::admit`] answers every admitted preflight.
async fn preflight() -> ApiError {
    ApiError::MethodNotAllowed
}

/// Refuses a declared body over the server's limit before reading any of it. (Bodies without a
/// length are cut off at the same limit while being read.)
async fn check_content_length(
    State(limit): State<Arc<usize>>,
    request: Request,
    next: Next,
) -> Response {
    if declared_length(request.headers()).is_some_and(|length| length > *limit as u64) {
        return ApiError::TooLarge {
            limit_bytes: *limit,
        }
        .into_response();
    }
    next.run(request).await
}

/// Answers `request_timeout` when the whole exchange (body included) takes too long. The handler's
/// future is dropped, which rolls back any transaction it had open.
async fn enforce_timeout(State(state): State<Shared>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(state.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout {
            seconds: state.request_timeout.as_secs(),
        }
        .into_response(),
    }
}

/// The widget's API uses no cookies: any sent are removed before a handler could read them, and
/// none can leave.
async fn no_cookies(mut request: Request, next: Next) -> Response {
    request.headers_mut().remove(COOKIE);
    let mut response = next.run(request).await;
    response.headers_mut().remove(SET_COOKIE);
    response
}
