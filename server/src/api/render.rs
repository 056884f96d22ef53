//! `POST /v1/widget/{key}/renders`: a room photo in, the product rendered into it out.
//!
//! Order of checks (each cheaper than the next, none reading the photo before it must): the
//! gate's key and origin, the query (product, placement), the visitor's rate limit, the declared
//! and actual body size, then the render pipeline ([`crate::render`]): photo core, person check,
//! backend. The photo is the raw body (`Content-Type: image/jpeg`, `image/png` or `image/webp`;
//! the bytes are sniffed, the header is not trusted); the product and the placement are in the
//! query string, which holds nothing about the shopper.

use axum::Extension;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::net::SocketAddr;
use utoipa::IntoParams;

use crate::api::error::{ApiError, ErrorBody, GateRefusals};
use crate::api::upload::{PhotoLimit, UploadBody};
use crate::api::widget::{WidgetKey, valid_product};
use crate::app::Shared;
use crate::render::RelativePlacement;
use crate::widget_guard::WidgetCaller;

/// Response header: renders left in the current clock hour.
pub const RENDERS_LEFT_THIS_HOUR: &str = "vitrine-renders-left-this-hour";
/// Response header: renders left in the current UTC day.
pub const RENDERS_LEFT_TODAY: &str = "vitrine-renders-left-today";

/// Real sizes a placement may stand for, in metres.
const PLACEMENT_METRES: std::ops::RangeInclusive<f32> = 0.1..=100.0;

/// What to render.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RenderQuery {
    /// The retailer's product identifier (SKU).
    pub product: String,
    /// The region's four corners as fractions of the photo's width and height:
    /// `x1,y1,x2,y2,x3,y3,x4,y4` — far-left, far-right, near-right, near-left on a floor;
    /// clockwise from the top-left on a wall. Values from -1 to 2 (corners may lie outside the
    /// picture). Absent: a default floor over the lower part of the photo.
    pub corners: Option<String>,
    /// The region's real size in metres, `width x depth` (e.g. `4x3.5`); default `4x4`.
    pub size: Option<String>,
    /// The widget's random session id (128 bits as 32 lowercase hex digits), generated per
    /// opening of the widget. Checked for shape only: this endpoint stores nothing of it.
    pub session: Option<String>,
}

/// A session id is 32 lowercase hex digits: anything else (an email, a user id) is refused
/// rather than carried further.
pub fn valid_session(session: Option<&str>) -> Result<(), ApiError> {
    match session {
        None => Ok(()),
        Some(id)
            if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) =>
        {
            Ok(())
        }
        Some(_) => Err(ApiError::InvalidRequest(
            "`session` must be 32 lowercase hex digits (a random id)".to_owned(),
        )),
    }
}

/// Renders the product into the photo.
#[utoipa::path(
    post,
    path = "/v1/widget/{key}/renders",
    tag = "widget",
    params(WidgetKey, RenderQuery),
    request_body(content = Vec<u8>, content_type = "image/jpeg",
        description = "The room photo (JPEG, PNG or WebP), cleaned by the widget; cleaned again here"),
    responses(
        (status = 200, description = "The render: a JPEG labelled AI-generated in XMP \
            (IPTC digital source type), with `vitrine-renders-left-this-hour` and \
            `vitrine-renders-left-today` headers", content_type = "image/jpeg"),
        (status = 400, description = "`invalid_request` (product, corners or size)", body = ErrorBody),
        GateRefusals,
        (status = 404, description = "`unknown_product`", body = ErrorBody),
        (status = 413, description = "`too_large` or `too_many_pixels`", body = ErrorBody),
        (status = 415, description = "`unsupported_format`, `animated_image` or `unsupported_jpeg_coding`", body = ErrorBody),
        (status = 422, description = "`person_detected`, or the photo is broken (`truncated`, `corrupt`, `empty_file`, `decode_failed`)", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
        (status = 503, description = "`person_check_unavailable` or `backend_unavailable`", body = ErrorBody),
        (status = 504, description = "`backend_timeout`", body = ErrorBody),
    )
)]
pub async fn render(
    State(state): State<Shared>,
    Extension(caller): Extension<WidgetCaller>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    query: Result<Query<RenderQuery>, QueryRejection>,
    body: UploadBody<PhotoLimit>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::InvalidRequest(e.body_text()))?;
    let product = valid_product(&query.product)?;
    valid_session(query.session.as_deref())?;
    let placement = parse_placement(query.corners.as_deref(), query.size.as_deref())?;
    let product = state
        .render
        .product(&state.storage, caller.retailer, product)
        .await?;
    let admitted = state
        .rate_limiter
        .admit(
            caller.retailer,
            caller.limits,
            peer,
            &headers,
            Some(&product.sku),
        )
        .await?;

    let photo = body.read().await?;

    let backend = state.storage.render_backend(caller.retailer).await?;
    let rendered = state
        .render
        .render(photo.to_vec(), product, placement, backend)
        .await?;
    let mut response = (StatusCode::OK, rendered.jpeg).into_response();
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    // An unshared render is the shopper's alone: no cache anywhere may keep it.
    out.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    for (name, value) in [
        (RENDERS_LEFT_THIS_HOUR, admitted.left_this_hour),
        (RENDERS_LEFT_TODAY, admitted.left_today),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value.to_string()) {
            out.insert(name, value);
        }
    }
    Ok(response)
}

/// The placement from the query: corners as fractions, size in metres.
pub fn parse_placement(
    corners: Option<&str>,
    size: Option<&str>,
) -> Result<RelativePlacement, ApiError> {
    let invalid = |message: &str| ApiError::InvalidRequest(message.to_owned());
    let corners = match corners {
        None => [(0.22, 0.58), (0.78, 0.58), (1.02, 1.0), (-0.02, 1.0)],
        Some(text) => {
            let values: Vec<f32> = text
                .split(',')
                .map(|v| v.trim().parse::<f32>())
                .collect::<Result<_, _>>()
                .map_err(|_| invalid("`corners` must be 8 comma-separated numbers"))?;
            let [x1, y1, x2, y2, x3, y3, x4, y4] = values[..] else {
                return Err(invalid("`corners` must be 8 comma-separated numbers"));
            };
            let corners = [(x1, y1), (x2, y2), (x3, y3), (x4, y4)];
            if corners
                .iter()
                .any(|(x, y)| !(-1.0..=2.0).contains(x) || !(-1.0..=2.0).contains(y))
            {
                return Err(invalid(
                    "`corners` are fractions of the photo's size, from -1 to 2",
                ));
            }
            corners
        }
    };
    let (width_m, depth_m) = match size {
        None => (4.0, 4.0),
        Some(text) => {
            let (w, d) = text
                .split_once(['x', 'X', '×'])
                .ok_or_else(|| invalid("`size` must be `width x depth` in metres, e.g. `4x3.5`"))?;
            let metres = |v: &str| {
                v.trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|m| PLACEMENT_METRES.contains(m))
            };
            match (metres(w), metres(d)) {
                (Some(w), Some(d)) => (w, d),
                _ => {
                    return Err(invalid(
                        "`size` must be `width x depth`, each from 0.1 to 100 metres",
                    ));
                }
            }
        }
    };
    Ok(RelativePlacement {
        corners,
        width_m,
        depth_m,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn placements_parse_or_are_refused_with_a_reason() {
        let p = parse_placement(Some("0.1,0.5,0.9,0.5,1,1,0,1"), Some("3x2.5")).unwrap();
        assert_eq!(p.corners[2], (1.0, 1.0));
        assert_eq!((p.width_m, p.depth_m), (3.0, 2.5));
        assert!(parse_placement(None, None).is_ok());
        for (corners, size) in [
            (Some("1,2,3"), None),
            (Some("a,b,c,d,e,f,g,h"), None),
            (Some("0,0,0,0,0,0,0,9"), None),
            (Some("0,0,1,0,1,1,0,NaN"), None),
            (None, Some("4")),
            (None, Some("0x4")),
            (None, Some("4x1000")),
            (None, Some("inf x 2")),
        ] {
            assert!(
                matches!(
                    parse_placement(corners, size),
                    Err(ApiError::InvalidRequest(_))
                ),
                "{corners:?} {size:?}"
            );
        }
    }
}
