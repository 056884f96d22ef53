//! Analytics: the beacon ingest the widget sends to, the user-id salt it hashes under, and the
//! retailer's aggregates (reference texts 000 and 001; DESIGN.md "Analytics").
//!
//! Ingest, in order: key and origin (the gate) → content type → size → the visitor's beacon
//! allowance → the beacon parsed and checked by the same core the widget runs
//! ([`vitrine_core::analytics::beacon`]) → events that look like personal data deleted (counted
//! by kind in `vitrine_analytics_events_total`, never logged) → identifiers kept only under
//! `consent: 1`, with the visitor's keyed address hash added → stored.

use std::net::SocketAddr;

use axum::Extension;
use axum::Json;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;
use utoipa::{IntoParams, ToSchema};
use vitrine_core::analytics::beacon::parse_beacon;
use vitrine_core::analytics::events::EventName;

use crate::api::error::{ApiError, ErrorBody, GateRefusals};
use crate::api::secret_key::SecretKeyHolder;
use crate::api::upload::{BeaconLimit, UploadBody};
use crate::api::widget::WidgetKey;
use crate::app::Shared;
use crate::storage::{AnalyticsCounts, ConsentedIdentity};
use crate::widget_guard::WidgetCaller;

/// The longest range the aggregates endpoint reports at once, in days.
pub const MAX_REPORT_DAYS: i64 = 400;
/// The range reported when none is asked for: the last 30 days, today included.
pub const DEFAULT_REPORT_DAYS: i64 = 30;

/// What happened to a beacon's events.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BeaconReceipt {
    /// Events stored.
    pub stored: u64,
    /// Events deleted on arrival because a field looked like personal data.
    pub deleted_personal_data: u64,
    /// Events dropped because their time was outside the accepted window.
    pub dropped_out_of_time: u64,
}

/// Receives a beacon of analytics events (sent with `navigator.sendBeacon`, so `text/plain` is
/// accepted as well as `application/json`).
#[utoipa::path(
    post,
    path = "/v1/widget/{key}/events",
    tag = "widget",
    params(WidgetKey),
    request_body(content = String, content_type = "text/plain",
        description = "A beacon: `{\"v\":1,\"consent\":0|1,\"ids\":{…},\"events\":[…]}` (see the README's analytics section)"),
    responses(
        (status = 202, description = "Received", body = BeaconReceipt),
        (status = 400, description = "`malformed_json`, `unsupported_version`, `missing_field`, `unknown_field`, `invalid_field`, `unknown_event`, `no_events` or `too_many_events`", body = ErrorBody),
        GateRefusals,
        (status = 413, description = "`too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 429, description = "`rate_limited`, with `Retry-After`", body = ErrorBody),
    )
)]
pub async fn ingest(
    State(state): State<Shared>,
    Extension(caller): Extension<WidgetCaller>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: UploadBody<BeaconLimit>,
) -> Result<(StatusCode, Json<BeaconReceipt>), ApiError> {
    let media_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !matches!(
        media_type.as_deref(),
        Some("text/plain" | "application/json")
    ) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = body.read().await?;
    let visitor = state
        .rate_limiter
        .admit_beacon(caller.retailer, peer, &headers)?;
    let mut beacon = parse_beacon(&body).map_err(ApiError::Beacon)?;
    let now_ms = u64::try_from(state.clock.now()).unwrap_or(0) * 1000;
    let out_of_time = beacon.drop_events_out_of_time(now_ms) as u64;
    for kind in &beacon.refused {
        state
            .metrics
            .analytics_events("personal_data", kind.code(), 1);
    }
    let identity = beacon.consent.then(|| {
        let ids = beacon.identifiers();
        ConsentedIdentity {
            anonymous_id: ids.anonymous,
            user_hash: ids.user,
            visitor_hash: Some(
                state
                    .rate_limiter
                    .address_key()
                    .visitor_hash(caller.retailer, visitor),
            ),
        }
    });
    let stored = if beacon.events.is_empty() {
        0
    } else {
        state
            .storage
            .insert_analytics_events(caller.retailer, &beacon.events, identity.as_ref())
            .await?
    };
    state.metrics.analytics_events("stored", "", stored);
    state
        .metrics
        .analytics_events("out_of_time", "", out_of_time);
    Ok((
        StatusCode::ACCEPTED,
        Json(BeaconReceipt {
            stored,
            deleted_personal_data: beacon.refused.len() as u64,
            dropped_out_of_time: out_of_time,
        }),
    ))
}

/// The salt the widget hashes the retailer's user ids under.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserSalt {
    /// 32 bytes, lowercase hex: the same for every page of this retailer, different at every
    /// other retailer.
    pub user_salt: String,
}

/// The retailer's user-id salt (fetched by the widget only when the page has called `setUser`
/// and the shopper has consented).
#[utoipa::path(
    get,
    path = "/v1/widget/{key}/analytics/salt",
    tag = "widget",
    params(WidgetKey),
    responses(
        (status = 200, description = "The salt", body = UserSalt),
        GateRefusals,
    )
)]
pub async fn user_salt(
    State(state): State<Shared>,
    Extension(caller): Extension<WidgetCaller>,
) -> Response {
    let salt = state.rate_limiter.address_key().user_salt(caller.retailer);
    let mut response = Json(UserSalt { user_salt: salt }).into_response();
    response.headers_mut().insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    response
}

/// The days to report.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportRange {
    /// First day, `YYYY-MM-DD` (UTC). Default: 29 days before `to`.
    pub from: Option<String>,
    /// Last day, `YYYY-MM-DD` (UTC), included. Default: today.
    pub to: Option<String>,
}

/// The widget's funnel: how many widget sessions reached each step.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct Funnel {
    /// Opened the widget.
    pub opened: i64,
    /// Accepted the pre-flight notice.
    pub consented: i64,
    /// Uploaded a photo for a render on the server (renders on the device upload nothing).
    pub uploaded: i64,
    /// Saw a render.
    pub rendered: i64,
    /// Saved a render on their device.
    pub saved: i64,
    /// Shared a render to the gallery.
    pub shared: i64,
    /// Asked for a render by email.
    pub emailed: i64,
}

/// One day's numbers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DayReport {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Widget sessions (each opened widget).
    pub sessions: i64,
    /// The funnel.
    pub funnel: Funnel,
    /// Renders (on the server and on devices).
    pub renders: i64,
    /// Every event by name.
    pub events: std::collections::BTreeMap<String, i64>,
    /// Distinct consented visitors.
    pub visitors: i64,
    /// Of those, visitors seen on an earlier day too.
    pub returning_visitors: i64,
}

/// A reason or kind of failure and how often it happened.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorKind {
    /// `photo_rejected` or `render_failed`.
    pub event: String,
    /// The error code.
    pub kind: String,
    /// How many times.
    pub count: i64,
}

/// Renders of one product.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProductRenderCount {
    /// The SKU.
    pub product: String,
    /// Renders.
    pub renders: i64,
}

/// Orders in one currency (no order ids are ever received).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Purchases {
    /// ISO 4217.
    pub currency: String,
    /// Orders.
    pub orders: i64,
    /// Their summed value.
    pub value: f64,
}

/// The whole range's numbers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Totals {
    /// Widget sessions.
    pub sessions: i64,
    /// The funnel.
    pub funnel: Funnel,
    /// Every event by name.
    pub events: std::collections::BTreeMap<String, i64>,
    /// Renders per product, most first (top 100).
    pub renders_per_product: Vec<ProductRenderCount>,
    /// Why photos were refused and renders failed.
    pub error_kinds: Vec<ErrorKind>,
    /// Distinct consented visitors (by keyed address hash; unconsented visits are not counted).
    pub visitors: i64,
    /// Of those, visitors seen on at least two different days.
    pub returning_visitors: i64,
    /// Purchases per currency.
    pub purchases: Vec<Purchases>,
}

/// The retailer's analytics for a range of days.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnalyticsReport {
    /// First day reported.
    pub from: String,
    /// Last day reported (included).
    pub to: String,
    /// The range's totals.
    pub totals: Totals,
    /// Each day with any activity.
    pub days: Vec<DayReport>,
}

/// The retailer's analytics (secret key; server to server, never from a browser).
#[utoipa::path(
    get,
    path = "/v1/analytics",
    tag = "retailer",
    params(ReportRange),
    security(("secret_key" = [])),
    responses(
        (status = 200, description = "The numbers", body = AnalyticsReport),
        (status = 400, description = "`invalid_request` (a bad date or range)", body = ErrorBody),
        (status = 401, description = "`unknown_secret_key`", body = ErrorBody),
    )
)]
pub async fn report(
    State(state): State<Shared>,
    SecretKeyHolder(retailer): SecretKeyHolder,
    Query(range): Query<ReportRange>,
) -> Result<Json<AnalyticsReport>, ApiError> {
    let today = state.clock.now().div_euclid(crate::storage::DAY);
    let last_day = match &range.to {
        Some(text) => parse_day(text, "to")?,
        None => today,
    };
    let first_day = match &range.from {
        Some(text) => parse_day(text, "from")?,
        None => last_day - (DEFAULT_REPORT_DAYS - 1),
    };
    if first_day > last_day {
        return Err(ApiError::InvalidRequest(
            "`from` must not be after `to`".to_owned(),
        ));
    }
    if last_day - first_day >= MAX_REPORT_DAYS {
        return Err(ApiError::InvalidRequest(format!(
            "at most {MAX_REPORT_DAYS} days can be reported at once"
        )));
    }
    let counts = state
        .storage
        .analytics_counts(retailer, first_day, last_day)
        .await?;
    Ok(Json(AnalyticsReport {
        from: format_day(first_day),
        to: format_day(last_day),
        totals: totals(&counts),
        days: days(&counts),
    }))
}

fn funnel_of(firsts: impl Fn(EventName) -> i64) -> Funnel {
    Funnel {
        opened: firsts(EventName::Opened),
        consented: firsts(EventName::ConsentGiven),
        uploaded: firsts(EventName::Uploaded),
        rendered: firsts(EventName::RenderSucceeded),
        saved: firsts(EventName::SavedOnDevice),
        shared: firsts(EventName::Shared),
        emailed: firsts(EventName::Emailed),
    }
}

/// Sessions that reached `name`: its first-in-session events, on `day` or (None) over the range.
fn firsts(counts: &AnalyticsCounts, name: EventName, day: Option<i64>) -> i64 {
    counts
        .events
        .iter()
        .filter(|c| c.name == name.as_str() && day.is_none_or(|day| c.day == day))
        .map(|c| c.first_in_session)
        .sum()
}

fn totals(counts: &AnalyticsCounts) -> Totals {
    let firsts = |name: EventName| firsts(counts, name, None);
    let mut events = std::collections::BTreeMap::new();
    for count in &counts.events {
        *events.entry(count.name.clone()).or_insert(0) += count.events;
    }
    Totals {
        sessions: firsts(EventName::Opened),
        funnel: funnel_of(firsts),
        events,
        renders_per_product: counts
            .renders_per_product
            .iter()
            .map(|r| ProductRenderCount {
                product: r.product.clone(),
                renders: r.renders,
            })
            .collect(),
        error_kinds: counts
            .error_kinds
            .iter()
            .map(|e| ErrorKind {
                event: e.event.clone(),
                kind: e.kind.clone(),
                count: e.count,
            })
            .collect(),
        visitors: counts.distinct_visitors,
        returning_visitors: counts.distinct_returning_visitors,
        purchases: counts
            .purchases
            .iter()
            .map(|p| Purchases {
                currency: p.currency.clone(),
                orders: p.orders,
                value: p.value,
            })
            .collect(),
    }
}

fn days(counts: &AnalyticsCounts) -> Vec<DayReport> {
    let mut days: Vec<i64> = counts
        .events
        .iter()
        .map(|c| c.day)
        .chain(counts.renders.iter().map(|c| c.day))
        .collect();
    days.sort_unstable();
    days.dedup();
    let on = |list: &[crate::storage::DailyCount], day: i64| {
        list.iter().find(|c| c.day == day).map_or(0, |c| c.count)
    };
    days.into_iter()
        .map(|day| {
            let firsts = |name: EventName| firsts(counts, name, Some(day));
            DayReport {
                day: format_day(day),
                sessions: firsts(EventName::Opened),
                funnel: funnel_of(firsts),
                renders: on(&counts.renders, day),
                events: counts
                    .events
                    .iter()
                    .filter(|c| c.day == day)
                    .map(|c| (c.name.clone(), c.events))
                    .collect(),
                visitors: on(&counts.visitors, day),
                returning_visitors: on(&counts.returning_visitors, day),
            }
        })
        .collect()
}

/// Days since the Unix epoch for `YYYY-MM-DD`.
fn parse_day(text: &str, field: &str) -> Result<i64, ApiError> {
    let format = format_description!("[year]-[month]-[day]");
    let date = Date::parse(text, format).map_err(|_| {
        ApiError::InvalidRequest(format!("`{field}` must be a date like 2026-11-24"))
    })?;
    Ok(i64::from(date.to_julian_day() - UNIX_EPOCH_JULIAN_DAY))
}

/// `YYYY-MM-DD` for days since the Unix epoch.
fn format_day(day: i64) -> String {
    let format = format_description!("[year]-[month]-[day]");
    i32::try_from(day + i64::from(UNIX_EPOCH_JULIAN_DAY))
        .ok()
        .and_then(|julian| Date::from_julian_day(julian).ok())
        .and_then(|date| date.format(format).ok())
        .unwrap_or_default()
}

/// 1970-01-01 as a Julian day number.
const UNIX_EPOCH_JULIAN_DAY: i32 = 2_440_588;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn days_convert_both_ways() {
        assert_eq!(parse_day("1970-01-01", "from").unwrap(), 0);
        assert_eq!(parse_day("2026-11-24", "from").unwrap(), 20_781);
        assert_eq!(format_day(20_781), "2026-11-24");
        assert_eq!(format_day(0), "1970-01-01");
        assert!(parse_day("2026-13-01", "from").is_err());
        assert!(parse_day("24/11/2026", "from").is_err());
    }
}
