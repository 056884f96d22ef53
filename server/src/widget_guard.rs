//! The gate in front of every widget endpoint: publishable key, `Origin`, and CORS.
//!
//! Widget routes carry the publishable key in their path (`/v1/widget/{key}/…`), not in a header,
//! so that a CORS preflight — which carries no custom header values — already names the key, and
//! can be answered exactly from that key's own allowlist. In order:
//! 1. the key must be live (else 401 `unknown_key`);
//! 2. `Origin` must be present (403 `origin_missing`) and on the key's allowlist (403
//!    `origin_not_allowed`);
//! 3. a preflight (`OPTIONS`) is answered here with 204; any other request goes on to its handler
//!    with a [`WidgetCaller`] in its extensions.
//!
//! Every answer to an admitted origin — including 413 and 429 refusals, which the widget must be
//! able to read — echoes that one origin in `Access-Control-Allow-Origin` with `Vary: Origin`,
//! never `*`, and never allows credentials: the widget sends no cookies and we set none. Refusals
//! at steps 1–2 carry no CORS headers at all.
//!
//! A key's holder, origins and limits are cached for a few seconds (`key_cache_secs`, default 5)
//! so a busy widget does not cost two queries per request: revoking a key, removing an origin or
//! changing limits takes effect within that time on every process. Unknown keys are cached too
//! (so guessing keys does not reach the database every time); the cache holds at most
//! [`KEY_CACHE_ENTRIES`] keys and is emptied when full.
//!
//! Hand-written rather than tower-http's `CorsLayer` because the decision needs the key's
//! allowlist from the database: resolving it once, here, keeps the 401/403 decision and the CORS
//! decision the same decision.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ORIGIN, VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::error::ApiError;
use crate::clock::Clock;
use crate::keys::PublishableKey;
use crate::origins::{AllowedOrigin, is_allowed};
use crate::storage::{KeyHolder, Limits, RetailerId, Storage, StorageError};

/// Why the gate refused a request (answered as 401/403 through
/// [`ApiError`]'s conversion, or as the storage failure it was).
#[derive(Debug, thiserror::Error)]
pub enum GuardRefusal {
    /// The key is malformed, unknown or revoked.
    #[error("unknown or revoked publishable key")]
    UnknownKey,
    /// No `Origin` header.
    #[error("no Origin header")]
    OriginMissing,
    /// The `Origin` is not on the key's allowlist.
    #[error("origin not allowed")]
    OriginNotAllowed {
        /// The origin as sent (at most 200 characters).
        origin: String,
    },
    /// The key could not be looked up.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Methods the widget endpoints accept from a browser.
const ALLOWED_METHODS: &str = "GET, POST";
/// Request headers the widget may send (beyond the CORS-safelisted ones).
const ALLOWED_HEADERS: &str = "content-type";
/// Response headers the widget may read (beyond the safelisted ones).
const EXPOSED_HEADERS: &str =
    "retry-after, vitrine-renders-left-this-hour, vitrine-renders-left-today";
/// How long a browser may cache a preflight answer, in seconds. Short, so an origin removed from
/// the allowlist stops working within minutes.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The most keys the cache holds.
pub const KEY_CACHE_ENTRIES: usize = 10_000;

/// Each key's answer and when it was looked up.
type CachedKeys = HashMap<String, (Instant, Option<Arc<KeyHolder>>)>;

/// Recently resolved keys.
#[derive(Debug)]
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<CachedKeys>,
}

impl KeyCache {
    /// A cache keeping answers for `ttl` (zero: no caching).
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    async fn resolve(
        &self,
        storage: &Storage,
        key: &str,
    ) -> Result<Option<Arc<KeyHolder>>, StorageError> {
        if self.ttl.is_zero() {
            return Ok(storage.resolve_publishable_key(key).await?.map(Arc::new));
        }
        if let Some((at, holder)) = self.lock().get(key)
            && at.elapsed() < self.ttl
        {
            return Ok(holder.clone());
        }
        let holder = storage.resolve_publishable_key(key).await?.map(Arc::new);
        let mut entries = self.lock();
        if entries.len() >= KEY_CACHE_ENTRIES {
            entries.clear();
        }
        entries.insert(key.to_owned(), (Instant::now(), holder.clone()));
        Ok(holder)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CachedKeys> {
        // A panic while holding the lock cannot leave the map inconsistent: take it anyway.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Who is calling a widget endpoint, established by [`admit`].
#[derive(Debug, Clone)]
pub struct WidgetCaller {
    /// The retailer whose key was used.
    pub retailer: RetailerId,
    /// Its render limits per visitor.
    pub limits: Limits,
}

/// The path parameter every widget route has.
#[derive(Debug, Deserialize)]
pub struct KeyInPath {
    key: String,
}

/// What the gate needs.
#[derive(Debug, Clone)]
pub struct GuardState {
    /// Where keys and origins are looked up.
    pub storage: Storage,
    /// For security events' timestamps.
    pub clock: Arc<dyn Clock>,
    /// Recently resolved keys.
    pub keys: Arc<KeyCache>,
}

/// Middleware: admits a widget request or refuses it (see the module doc).
pub async fn admit(
    State(state): State<Arc<GuardState>>,
    Path(KeyInPath { key }): Path<KeyInPath>,
    mut request: Request,
    next: Next,
) -> Response {
    let origin = request.headers().get(ORIGIN).cloned();
    let origin = match check(&state, &key, origin).await {
        Ok((caller, origin)) => {
            request.extensions_mut().insert(caller);
            origin
        }
        Err(refusal) => return ApiError::from(refusal).into_response(),
    };
    let mut response = if request.method() == Method::OPTIONS {
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        let headers = preflight.headers_mut();
        headers.insert(
            ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static(ALLOWED_METHODS),
        );
        headers.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(ALLOWED_HEADERS),
        );
        headers.insert(
            ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE),
        );
        preflight
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    headers.insert(
        ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
    headers.append(VARY, HeaderValue::from_static("origin"));
    response
}

async fn check(
    state: &GuardState,
    key: &str,
    origin: Option<HeaderValue>,
) -> Result<(WidgetCaller, HeaderValue), GuardRefusal> {
    let Ok(key) = PublishableKey::parse(key) else {
        state.record("unknown_key", None).await;
        return Err(GuardRefusal::UnknownKey);
    };
    let Some(holder) = state.keys.resolve(&state.storage, key.as_str()).await? else {
        state.record("unknown_key", None).await;
        return Err(GuardRefusal::UnknownKey);
    };
    let Some(origin) = origin else {
        state.record("origin_missing", Some(holder.retailer)).await;
        return Err(GuardRefusal::OriginMissing);
    };
    let allowlist: Vec<AllowedOrigin> = holder
        .origins
        .iter()
        .filter_map(|entry| AllowedOrigin::parse(entry).ok())
        .collect();
    let origin_text = origin.to_str().unwrap_or_default();
    if !is_allowed(&allowlist, origin_text) {
        state
            .record("origin_not_allowed", Some(holder.retailer))
            .await;
        return Err(GuardRefusal::OriginNotAllowed {
            origin: String::from_utf8_lossy(origin.as_bytes())
                .chars()
                .take(200)
                .collect(),
        });
    }
    Ok((
        WidgetCaller {
            retailer: holder.retailer,
            limits: holder.limits,
        },
        origin,
    ))
}

impl GuardState {
    /// Records a refused request in the security log (kind and retailer only: no address, no key,
    /// no origin). A failure to record does not change the answer.
    async fn record(&self, kind: &str, retailer: Option<RetailerId>) {
        if let Err(error) = self
            .storage
            .record_security_event(retailer, kind, self.clock.now())
            .await
        {
            tracing::warn!(error = %error, kind, "could not record a security event");
        }
    }
}
