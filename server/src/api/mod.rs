//! The HTTP API: widget endpoints behind the key/origin gate, operations endpoints, and the
//! OpenAPI document generated from the handlers' own types.

pub mod analytics;
pub mod error;
pub mod gallery;
pub mod json_body;
pub mod leads;
pub mod operations;
pub mod render;
pub mod secret_key;
pub mod upload;
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
    modifiers(&SecretKeyScheme),
    tags(
        (name = "widget", description = "Called by the widget from the retailer's page"),
        (name = "retailer", description = "Called by the retailer's own servers with a secret key"),
        (name = "operations", description = "Health, readiness, metrics")
    )
)]
pub struct ApiDoc;

/// Declares the `secret_key` scheme the retailer endpoints name: `Authorization: Bearer sk_…`.
#[derive(Debug)]
struct SecretKeyScheme;

impl utoipa::Modify for SecretKeyScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "secret_key",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}
