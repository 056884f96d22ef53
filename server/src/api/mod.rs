//! The HTTP API: widget endpoints behind the key/origin gate, operations endpoints, and the
//! OpenAPI document generated from the handlers' own types.

pub mod error;
pub mod gallery;
pub mod json_body;
pub mod leads;
pub mod operations;
pub mod render;
pub mod widget;

use utoipa::OpenApi;

/// The OpenAPI document's fixed parts; paths are added as routes are registered.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Vitrine render server",
        description = "Widget endpoints (publishable key in the path, checked against the \
            request's Origin) and operations endpoints. Errors are JSON: \
            `{\"error\": {\"code\": \"…\", \"message\": \"…\"}}`."
    ),
    tags(
        (name = "widget", description = "Called by the widget from the retailer's page"),
        (name = "operations", description = "Health, readiness, metrics")
    )
)]
pub struct ApiDoc;
