//! Prometheus metrics: requests by route and status, latency histograms, and refusals by reason;
//! and, from the same middleware, the request's log line ([`crate::logging::request_answered`]).
//!
//! The registry lives in the server's state rather than in a process-wide recorder, so several
//! servers in one test process each count their own. Labels are the route *template*
//! (`/v1/widget/{key}/config`, never the key or a query), the method and the status: a bounded
//! set, and nothing in them identifies a visitor.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::api::error::{ErrorCause, ErrorCode};

/// Labels of a request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The matched route template, or `unmatched`.
    pub route: String,
    /// The HTTP method.
    pub method: String,
    /// The status code.
    pub status: u16,
}

/// Labels of a latency observation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    /// The matched route template, or `unmatched`.
    pub route: String,
    /// The HTTP method.
    pub method: String,
}

/// Labels of a refused widget request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RefusalLabels {
    /// The error code (`rate_limited`, `unknown_key`, `origin_not_allowed`, …).
    pub reason: String,
}

/// Labels of an analytics event's fate.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct AnalyticsLabels {
    /// `stored`, `personal_data` (deleted on arrival) or `out_of_time` (dropped).
    pub outcome: &'static str,
    /// For `personal_data`: what it looked like (`email`, `phone`, `payment_card`,
    /// `ip_address`); empty otherwise.
    pub kind: &'static str,
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    refusals: Family<RefusalLabels, Counter>,
    analytics: Family<AnalyticsLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("vitrine");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        // 0.25 ms … ~8 s: loopback admission checks sit at the bottom, renders at the top.
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time from request to response head, by route template and method",
            latency.clone(),
        );
        let refusals = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "refusals",
            "Requests refused, by error code (rate_limited counts rate-limit refusals)",
            refusals.clone(),
        );
        let analytics = Family::<AnalyticsLabels, Counter>::default();
        registry.register(
            "analytics_events",
            "Analytics events received in accepted beacons, by outcome: stored, deleted at once \
             for looking like personal data (by kind; the content is never logged), or dropped \
             for a time outside the accepted window",
            analytics.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            refusals,
            analytics,
        }
    }

    /// Counts analytics events by outcome (see [`AnalyticsLabels`]).
    pub fn analytics_events(&self, outcome: &'static str, kind: &'static str, count: u64) {
        self.analytics
            .get_or_create(&AnalyticsLabels { outcome, kind })
            .inc_by(count);
    }

    /// Counts a refused request by its error code.
    pub fn refused(&self, reason: &str) {
        self.refusals
            .get_or_create(&RefusalLabels {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// The text exposition (OpenMetrics).
    pub fn render(&self) -> String {
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// Middleware: counts every answered request, times it, and logs it.
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method()).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let latency = started.elapsed();
    crate::logging::request_answered(
        &crate::logging::Answered {
            method: &method,
            route: &route,
            status: response.status().as_u16(),
            latency,
            error: response.extensions().get::<ErrorCode>().map(|code| code.0),
        },
        response.extensions().get::<ErrorCause>(),
    );
    metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
            method: method.clone(),
        })
        .observe(latency.as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            route,
            method,
            status: response.status().as_u16(),
        })
        .inc();
    if let Some(code) = response.extensions().get::<ErrorCode>() {
        metrics.refused(code.0);
    }
    response
}

/// The standard methods by name; anything else as `other`, so a client cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}
