//! "Share publicly" (002 §3, §6): a render the shopper chose to share goes to the retailer's
//! gallery, pending review, labelled AI-generated; the shopper gets a withdrawal link that deletes
//! it at once, without an account.
//!
//! - `POST /v1/widget/{key}/gallery?product=SKU` — the render as the body (image/jpeg). It may
//!   have been made on the shopper's device, so it passes the photo core and the person check
//!   again and is re-encoded with our label only ([`crate::render::RenderService::recheck_render`]).
//! - `GET /v1/gallery/withdraw/{token}` — the link itself: deletes the item and says so in a
//!   small page. Outside the widget gate: it is opened from wherever the shopper kept it.

use axum::Extension;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ErrorBody, GateRefusals, RecheckRefusals};
use crate::api::upload::{PhotoLimit, UploadBody};
use crate::api::widget::{WidgetKey, require_product, valid_product};
use crate::app::Shared;
use crate::keys::{is_withdrawal_token, withdrawal_token};
use crate::widget_guard::WidgetCaller;

/// Which product the shared render shows.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ShareQuery {
    /// The retailer's product identifier (SKU).
    pub product: String,
}

/// A shared render, pending review.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SharedRender {
    /// The item's id in the retailer's gallery.
    pub id: i64,
    /// `pending` until the retailer reviews it.
    pub status: String,
    /// The withdrawal link's path on this server (`/v1/gallery/withdraw/…`): shown to the shopper
    /// once, to copy and keep. Only its SHA-256 is stored.
    pub withdraw_path: String,
}

/// Shares a render to the retailer's gallery.
#[utoipa::path(
    post,
    path = "/v1/widget/{key}/gallery",
    tag = "widget",
    params(WidgetKey, ShareQuery),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "The render"),
    responses(
        (status = 201, description = "Stored, pending review", body = SharedRender),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        GateRefusals,
        (status = 415, description = "`unsupported_format`", body = ErrorBody),
        RecheckRefusals,
    )
)]
pub async fn share(
    State(state): State<Shared>,
    Extension(caller): Extension<WidgetCaller>,
    query: Result<Query<ShareQuery>, QueryRejection>,
    body: UploadBody<PhotoLimit>,
) -> Result<(StatusCode, Json<SharedRender>), ApiError> {
    let Query(query) = query.map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
    let product = valid_product(&query.product)?;
    require_product(&state, caller.retailer, product).await?;
    let upload = body.read().await?;
    let backend = state.storage.render_backend(caller.retailer).await?;
    let render = state
        .render
        .recheck_render(upload.to_vec(), backend)
        .await?;
    let token = withdrawal_token().map_err(|_| ApiError::Internal)?;
    let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
    let now = state.clock.now();
    let id = state
        .storage
        .add_gallery_item(caller.retailer, product, &render, &hash, now)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SharedRender {
            id,
            status: "pending".to_owned(),
            withdraw_path: format!("/v1/gallery/withdraw/{token}"),
        }),
    ))
}

/// The withdrawal link: deletes the shared render at once.
#[utoipa::path(
    get,
    path = "/v1/gallery/withdraw/{token}",
    tag = "gallery",
    params(("token" = String, Path, description = "The token from the share answer")),
    responses(
        (status = 200, description = "Deleted (a short HTML page says so)", content_type = "text/html"),
        (status = 404, description = "No such item: already withdrawn, removed, or never shared", content_type = "text/html"),
    )
)]
pub async fn withdraw(
    State(state): State<Shared>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let withdrawn_from = if is_withdrawal_token(&token) {
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        state.storage.withdraw_gallery_item(&hash).await?
    } else {
        None
    };
    let deleted = withdrawn_from.is_some();
    if let Some(retailer) = withdrawn_from {
        // Counted for the retailer's analytics with nothing about who withdrew (no session, no
        // identifier): the link is used outside the widget, so there is no consent to go by.
        if let Err(error) = state
            .storage
            .record_analytics_event(retailer, "share_withdrawn", state.clock.now())
            .await
        {
            tracing::warn!(error = %error, "could not count a withdrawal");
        }
    }
    let (status, title, words) = if deleted {
        (
            StatusCode::OK,
            "Your picture has been removed",
            "Your shared picture has been deleted from the shop's gallery. Nothing else is needed.",
        )
    } else {
        (
            StatusCode::NOT_FOUND,
            "Nothing to remove",
            "This link has already been used, or the picture was removed by the shop. \
             Either way, it is no longer in the gallery.",
        )
    };
    let page = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><main style=\"font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:3em auto;padding:0 1em\">\
         <h1>{title}</h1><p>{words}</p></main></html>"
    );
    let mut response = (status, page).into_response();
    let out = response.headers_mut();
    out.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    out.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The token is in the URL: never send it on as a referrer.
    out.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(response)
}
