//! Structured logs without personal data.
//!
//! One line per request, written by the metrics middleware with exactly these fields: method,
//! route *template* (`/v1/widget/{key}/config`: never the key, the raw path or the query), status,
//! latency and, for a refusal, its error code (`error`). Nothing records the peer address, `X-Forwarded-For`, `Origin`, cookies or bodies —
//! the line is built from an explicit list rather than from the request's `Debug`. A failure of
//! ours adds what failed and its cause (`failed`, `cause`: set by the error conversions in
//! [`crate::api::error`], naming tables, SQL or a provider's answer, never request data), and the
//! line is then a warning or an error.

use std::time::Duration;

use tracing::Level;
use tracing_subscriber::EnvFilter;

use crate::api::error::ErrorCause;
use crate::config::LogFormat;

/// Installs the process-wide subscriber: JSON lines (the default) or human-readable text, on
/// standard error, filtered by `RUST_LOG` (default `info`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// What the per-request log line says.
#[derive(Debug)]
pub struct Answered<'a> {
    /// The method (or `other`).
    pub method: &'a str,
    /// The route template.
    pub route: &'a str,
    /// The status.
    pub status: u16,
    /// The time to answer.
    pub latency: Duration,
    /// The answer's error code, if it is a refusal.
    pub error: Option<&'a str>,
}

/// The per-request log line: one event, no span (measured: a span per request plus the event
/// formatted with it cost a quarter of the server's throughput). A failure of ours carries its
/// cause, at its level; the handlers' error conversions log nothing themselves.
pub fn request_answered(line: &Answered<'_>, cause: Option<&ErrorCause>) {
    let Answered {
        method,
        route,
        status,
        latency,
        error,
    } = *line;
    let latency_ms = latency.as_secs_f64() * 1000.0;
    match cause {
        None => {
            tracing::info!(target: "vitrine_server::request", method, route, status, latency_ms, error, "answered")
        }
        Some(cause) if cause.level == Level::WARN => tracing::warn!(
            target: "vitrine_server::request",
            method, route, status, latency_ms, error, failed = cause.what, cause = %cause.detail,
            "answered"
        ),
        Some(cause) => tracing::error!(
            target: "vitrine_server::request",
            method, route, status, latency_ms, error, failed = cause.what, cause = %cause.detail,
            "answered"
        ),
    }
}
