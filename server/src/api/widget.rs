//! Widget endpoints. Each sits behind [`crate::widget_guard::admit`] (key, origin, CORS), which
//! hands the handler a [`WidgetCaller`].

use axum::Extension;
use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use utoipa::{IntoParams, ToSchema};

use crate::api::error::{ApiError, ErrorBody, GateRefusals};
use crate::api::json_body::JsonBody;
use crate::app::Shared;
use crate::storage::{BackendChoice, RetailerId};
use crate::widget_guard::WidgetCaller;

/// Longest product identifier accepted (retailers' SKUs are far shorter).
pub const MAX_PRODUCT_CHARS: usize = 128;

/// The publishable key every widget endpoint's path starts with, documented once.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WidgetKey {
    /// A live publishable key (`pk_…`).
    pub key: String,
}

/// What the widget needs to know before the shopper starts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WidgetConfig {
    /// Renders allowed per visitor per hour at this retailer.
    pub renders_per_hour: i64,
    /// Renders allowed per visitor per UTC day at this retailer.
    pub renders_per_day: i64,
    /// The largest photo upload accepted, in bytes.
    pub max_photo_bytes: usize,
}

/// A render made on the shopper's device, reported so it counts like any other.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceRenderRequest {
    /// The retailer's product identifier (SKU), 1–128 printable characters.
    #[schema(example = "OAK-PLANK-190")]
    pub product: String,
}

/// What is left of the visitor's render allowance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RenderAllowance {
    /// Renders left in the current clock hour.
    pub renders_left_this_hour: i64,
    /// Renders left in the current UTC day.
    pub renders_left_today: i64,
}

/// The widget's settings for this key.
#[utoipa::path(
    get,
    path = "/v1/widget/{key}/config",
    tag = "widget",
    params(WidgetKey),
    responses(
        (status = 200, description = "Settings for the widget", body = WidgetConfig),
        GateRefusals,
    )
)]
pub async fn config(
    State(state): State<Shared>,
    Extension(caller): Extension<WidgetCaller>,
) -> Json<WidgetConfig> {
    Json(WidgetConfig {
        renders_per_hour: caller.limits.per_hour,
        renders_per_day: caller.limits.per_day,
        max_photo_bytes: state.max_body_bytes,
    })
}

/// Counts a render made on the shopper's device (the photo is not sent) against the visitor's
/// render limits and the retailer's render statistics.
#[utoipa::path(
    post,
    path = "/v1/widget/{key}/device-renders",
    tag = "widget",
    params(WidgetKey),
    request_body = DeviceRenderRequest,
    responses(
        (status = 201, description = "Counted; what is left of the allowance", body = RenderAllowance),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        GateRefusals,
        (status = 413, description = "`too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
    )
)]
pub async fn device_render(
    State(state): State<Shared>,
    Extension(caller): Extension<WidgetCaller>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<DeviceRenderRequest>,
) -> Result<(StatusCode, Json<RenderAllowance>), ApiError> {
    let product = valid_product(&request.product)?;
    let admitted = state
        .rate_limiter
        .admit(
            caller.retailer,
            caller.limits,
            peer,
            &headers,
            Some(product),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(RenderAllowance {
            renders_left_this_hour: admitted.left_this_hour,
            renders_left_today: admitted.left_today,
        }),
    ))
}

/// What the widget needs to know about a product: where it goes, how big a tile is, and whether
/// the shopper may render it on their own device (only with the built-in compositor, which is
/// the same code in the browser).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductInfo {
    /// The retailer's identifier (SKU).
    pub sku: String,
    /// Its display name.
    pub name: String,
    /// `floor` or `wall`.
    pub surface: String,
    /// The texture tile's real width, in millimetres.
    pub tile_width_mm: i64,
    /// The texture tile's real height (depth on a floor), in millimetres.
    pub tile_height_mm: i64,
    /// Whether "render on this device" is offered (the retailer uses the built-in compositor).
    pub renders_on_device: bool,
}

/// A product of this retailer, for the widget.
#[utoipa::path(
    get,
    path = "/v1/widget/{key}/products/{sku}",
    tag = "widget",
    params(WidgetKey, ("sku" = String, Path, description = "The product's SKU")),
    responses(
        (status = 200, description = "The product", body = ProductInfo),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        GateRefusals,
        (status = 404, description = "`unknown_product`", body = ErrorBody),
    )
)]
pub async fn product(
    State(state): State<Shared>,
    Extension(caller): Extension<WidgetCaller>,
    Path((_key, sku)): Path<(String, String)>,
) -> Result<Json<ProductInfo>, ApiError> {
    let sku = valid_product(&sku)?;
    // The render service's cached product: no texture blob read per request.
    let product = state
        .render
        .product(&state.storage, caller.retailer, sku)
        .await?;
    let backend = state.storage.render_backend(caller.retailer).await?;
    Ok(Json(ProductInfo {
        sku: product.sku.clone(),
        name: product.name.clone(),
        surface: product.surface.as_str().to_owned(),
        tile_width_mm: product.tile_mm.0,
        tile_height_mm: product.tile_mm.1,
        renders_on_device: backend == BackendChoice::Builtin,
    }))
}

/// The product's texture tile (the file the retailer uploaded, PNG or JPEG), for rendering on
/// the shopper's device.
#[utoipa::path(
    get,
    path = "/v1/widget/{key}/products/{sku}/texture",
    tag = "widget",
    params(WidgetKey, ("sku" = String, Path, description = "The product's SKU")),
    responses(
        (status = 200, description = "The tile image", content_type = "image/png"),
        (status = 400, description = "`invalid_request`", body = ErrorBody),
        GateRefusals,
        (status = 404, description = "`unknown_product`", body = ErrorBody),
    )
)]
pub async fn product_texture(
    State(state): State<Shared>,
    Extension(caller): Extension<WidgetCaller>,
    Path((_key, sku)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let sku = valid_product(&sku)?;
    let product = state
        .storage
        .product(caller.retailer, sku)
        .await?
        .ok_or(ApiError::UnknownProduct)?;
    // The photo core's sniffer (textures are PNG, JPEG or WebP, checked when they were added).
    let mime = vitrine_core::photo::sniff::sniff(&product.texture)
        .map(|format| format.mime_type())
        .unwrap_or("application/octet-stream");
    let mut response = (StatusCode::OK, product.texture).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(mime));
    // A catalogue image, not the shopper's: the browser may keep it for a while.
    headers.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=600"),
    );
    Ok(response)
}

/// Refuses with `unknown_product` unless the retailer has a product `sku` (a cheap lookup: the
/// texture is not read).
pub async fn require_product(
    state: &Shared,
    retailer: RetailerId,
    sku: &str,
) -> Result<(), ApiError> {
    match state.storage.product_updated_at(retailer, sku).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::UnknownProduct),
    }
}

/// A product identifier: 1–128 characters, no control characters.
pub fn valid_product(product: &str) -> Result<&str, ApiError> {
    let count = product.chars().count();
    if count == 0 || count > MAX_PRODUCT_CHARS {
        return Err(ApiError::InvalidRequest(format!(
            "`product` must have 1 to {MAX_PRODUCT_CHARS} characters"
        )));
    }
    if product.chars().any(char::is_control) {
        return Err(ApiError::InvalidRequest(
            "`product` must not contain control characters".to_owned(),
        ));
    }
    Ok(product)
}
