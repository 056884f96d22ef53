//! The one error type of the HTTP API. Every refusal is a status code plus a JSON body with a
//! stable machine code (`unknown_key`, `rate_limited`, …) the widget maps to plain words, and a
//! message for the developer reading the network panel.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use tracing::Level;

use crate::rate_limit::RateLimitError;
use crate::storage::StorageError;
use crate::widget_guard::GuardRefusal;

/// Why a request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The publishable key is malformed, unknown or revoked.
    #[error("this publishable key is unknown or has been revoked")]
    UnknownKey,
    /// The request carries no `Origin` header.
    #[error("the request has no Origin header: widget requests come from the retailer's page")]
    OriginMissing,
    /// The `Origin` is not on the key's allowlist.
    #[error("the origin {origin} is not allowed for this key")]
    OriginNotAllowed {
        /// The origin as sent.
        origin: String,
    },
    /// The visitor has used this retailer's render allowance for now.
    #[error("the render limit for this visitor is reached; try again in {retry_after_seconds} s")]
    RateLimited {
        /// Seconds until a render is allowed again.
        retry_after_seconds: i64,
        /// When that is, in Unix seconds.
        retry_at: i64,
    },
    /// The body is larger than this endpoint accepts.
    #[error("the request body is larger than the {limit_bytes} bytes this endpoint accepts")]
    TooLarge {
        /// The limit.
        limit_bytes: usize,
    },
    /// The body is not the JSON this endpoint expects.
    #[error("the request body is invalid: {0}")]
    InvalidRequest(String),
    /// The body is not sent as JSON.
    #[error("the request body must be sent as `Content-Type: application/json`")]
    UnsupportedMediaType,
    /// The request took longer than the configured timeout.
    #[error("the request took longer than {seconds} s")]
    Timeout {
        /// The timeout.
        seconds: u64,
    },
    /// No route here.
    #[error("there is no such endpoint")]
    NotFound,
    /// The route exists but not with this method.
    #[error("this endpoint does not accept this method")]
    MethodNotAllowed,
    /// The product is not one of this retailer's.
    #[error("this retailer has no product with that identifier")]
    UnknownProduct,
    /// The photo was refused by the photo core (format, size, structure); `code` is its own
    /// stable code (`unsupported_format`, `truncated`, `too_many_pixels`, …).
    #[error("{message}")]
    Photo {
        /// The photo core's code.
        code: &'static str,
        /// What was wrong, in words.
        message: String,
    },
    /// The photo appears to show a person (reference text 002 §11).
    #[error("the photo appears to show a person: photos of rooms only, please")]
    PersonDetected,
    /// The person check could not run, so the photo was refused rather than waved through.
    #[error("photos cannot be checked right now, so none are accepted; please try again later")]
    PersonCheckUnavailable,
    /// The render backend did not answer in time.
    #[error("the render took too long; please try again")]
    BackendTimeout,
    /// The render backend failed or is unreachable.
    #[error("rendering is unavailable right now; please try again later")]
    BackendUnavailable,
    /// An analytics beacon was refused as a whole (its code says why: `malformed_json`,
    /// `unknown_event`, `unknown_field`, `too_many_events`, …).
    #[error("{0}")]
    Beacon(vitrine_core::analytics::beacon::BeaconError),
    /// The secret key is missing, malformed, unknown or revoked.
    #[error(
        "this endpoint needs a live secret key: `Authorization: Bearer sk_…` (never from a browser)"
    )]
    UnknownSecretKey,
    /// The database could not be reached.
    #[error("the service is temporarily unavailable")]
    StorageUnavailable,
    /// Anything else: logged (without personal data), never detailed to the caller.
    #[error("internal error")]
    Internal,
    /// A failure of ours: the caller is answered `answer`; the request's log line carries
    /// `cause` (see [`ApiError::because`]).
    #[error("{answer}")]
    Logged {
        /// What the caller is told.
        answer: Box<ApiError>,
        /// What the log says.
        cause: ErrorCause,
    },
}

/// Why one of our own failures happened, for the request's log line (see
/// [`crate::metrics::record`]), never for the caller. Its text names tables, SQL or a provider's
/// answer, never request data.
#[derive(Debug, Clone)]
pub struct ErrorCause {
    /// `error` for our faults, `warn` for a provider's.
    pub level: tracing::Level,
    /// What failed, in a few fixed words.
    pub what: &'static str,
    /// The error's own text.
    pub detail: String,
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The answers of the widget gate ([`crate::widget_guard::admit`]), documented once for every
/// endpoint behind it. Only for the OpenAPI document: never built.
#[derive(Debug, utoipa::IntoResponses)]
pub enum GateRefusals {
    #[response(status = 401, description = "`unknown_key`")]
    UnknownKey(ErrorBody),
    #[response(status = 403, description = "`origin_missing` or `origin_not_allowed`")]
    OriginRefused(ErrorBody),
}

/// The answers of the endpoints that take back a render the shopper may have made on their
/// device, which passes the photo core and the person check again
/// ([`crate::render::RenderService::recheck_render`]). Only for the OpenAPI document.
#[derive(Debug, utoipa::IntoResponses)]
pub enum RecheckRefusals {
    #[response(status = 404, description = "`unknown_product`")]
    UnknownProduct(ErrorBody),
    #[response(status = 413, description = "`too_large`")]
    TooLarge(ErrorBody),
    #[response(status = 422, description = "`person_detected`, or a broken image")]
    NotAcceptable(ErrorBody),
    #[response(status = 503, description = "`person_check_unavailable`")]
    PersonCheckUnavailable(ErrorBody),
}

/// The error itself.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `rate_limited`.
    #[schema(example = "rate_limited")]
    pub code: &'static str,
    /// A sentence for developers; widgets show their own words per code.
    pub message: String,
    /// For `rate_limited`: seconds until a render is allowed again (also in `Retry-After`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<i64>,
    /// For `rate_limited`: when that is, in Unix seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<i64>,
    /// For `too_large`: the limit in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_bytes: Option<usize>,
}

impl ApiError {
    /// `self`, with `cause` to be logged with the request (at `level`, as `what`).
    pub fn because(
        self,
        level: tracing::Level,
        what: &'static str,
        cause: &dyn std::fmt::Display,
    ) -> Self {
        Self::Logged {
            answer: Box::new(self),
            cause: ErrorCause {
                level,
                what,
                detail: cause.to_string(),
            },
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Logged { answer, .. } => answer.status(),
            Self::UnknownKey => StatusCode::UNAUTHORIZED,
            Self::OriginMissing | Self::OriginNotAllowed { .. } => StatusCode::FORBIDDEN,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidRequest(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Timeout { .. } => StatusCode::REQUEST_TIMEOUT,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::UnknownProduct => StatusCode::NOT_FOUND,
            Self::Photo { code, .. } => match *code {
                "unsupported_format" | "animated_image" | "unsupported_jpeg_coding" => {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE
                }
                "too_large" | "too_many_pixels" => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            },
            Self::PersonDetected => StatusCode::UNPROCESSABLE_ENTITY,
            Self::PersonCheckUnavailable | Self::BackendUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::BackendTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Beacon(vitrine_core::analytics::beacon::BeaconError::TooLarge) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            Self::Beacon(_) => StatusCode::BAD_REQUEST,
            Self::UnknownSecretKey => StatusCode::UNAUTHORIZED,
            Self::StorageUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Logged { answer, .. } => answer.code(),
            Self::UnknownKey => "unknown_key",
            Self::OriginMissing => "origin_missing",
            Self::OriginNotAllowed { .. } => "origin_not_allowed",
            Self::RateLimited { .. } => "rate_limited",
            Self::TooLarge { .. } => "too_large",
            Self::InvalidRequest(_) => "invalid_request",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Timeout { .. } => "request_timeout",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::UnknownProduct => "unknown_product",
            Self::Photo { code, .. } => code,
            Self::PersonDetected => "person_detected",
            Self::PersonCheckUnavailable => "person_check_unavailable",
            Self::BackendTimeout => "backend_timeout",
            Self::BackendUnavailable => "backend_unavailable",
            Self::Beacon(error) => error.code(),
            Self::UnknownSecretKey => "unknown_secret_key",
            Self::StorageUnavailable => "storage_unavailable",
            Self::Internal => "internal",
        }
    }

    /// The JSON body.
    pub fn body(&self) -> ErrorBody {
        if let Self::Logged { answer, .. } = self {
            return answer.body();
        }
        let (retry_after_seconds, retry_at) = match self {
            Self::RateLimited {
                retry_after_seconds,
                retry_at,
            } => (Some(*retry_after_seconds), Some(*retry_at)),
            _ => (None, None),
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                retry_after_seconds,
                retry_at,
                limit_bytes: match self {
                    Self::TooLarge { limit_bytes } => Some(*limit_bytes),
                    _ => None,
                },
            },
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(error: StorageError) -> Self {
        // The error text names tables and SQL, never request data; it is logged with the request.
        let answer = match &error {
            StorageError::Database(_) | StorageError::Unwritable(_) => Self::StorageUnavailable,
            _ => Self::Internal,
        };
        answer.because(Level::ERROR, "storage error", &error)
    }
}

impl From<RateLimitError> for ApiError {
    fn from(error: RateLimitError) -> Self {
        match error {
            RateLimitError::Exhausted {
                retry_after_seconds,
                retry_at,
            } => Self::RateLimited {
                retry_after_seconds,
                retry_at,
            },
            RateLimitError::CounterUnavailable => Self::StorageUnavailable,
        }
    }
}

impl From<GuardRefusal> for ApiError {
    fn from(refusal: GuardRefusal) -> Self {
        match refusal {
            GuardRefusal::UnknownKey => Self::UnknownKey,
            GuardRefusal::OriginMissing => Self::OriginMissing,
            GuardRefusal::OriginNotAllowed { origin } => Self::OriginNotAllowed { origin },
            GuardRefusal::Storage(error) => error.into(),
        }
    }
}

impl From<crate::render::RenderError> for ApiError {
    fn from(error: crate::render::RenderError) -> Self {
        use crate::render::RenderError as R;
        use crate::render::backend::BackendError as B;
        match error {
            R::UnknownProduct => Self::UnknownProduct,
            R::Photo(photo) => {
                match photo {
                    vitrine_core::photo::PhotoError::Encode(_)
                    | vitrine_core::photo::PhotoError::VerificationFailed(_) => Self::Internal
                        .because(Level::ERROR, "cleaning a photo failed on our side", &photo),
                    other => Self::Photo {
                        code: other.code(),
                        message: other.to_string(),
                    },
                }
            }
            R::PersonDetected => Self::PersonDetected,
            R::PersonCheckUnavailable(reason) => Self::PersonCheckUnavailable.because(
                Level::ERROR,
                "person check unavailable: photo refused",
                &reason,
            ),
            R::Placement(reason) => Self::InvalidRequest(reason),
            R::Backend(B::Timeout) => Self::BackendTimeout,
            R::Backend(B::Unavailable(reason)) => {
                Self::BackendUnavailable.because(Level::WARN, "render backend unavailable", &reason)
            }
            R::Backend(B::Failed(reason)) => {
                Self::Internal.because(Level::ERROR, "render failed", &reason)
            }
            R::ProductUnusable(reason) => {
                Self::Internal.because(Level::ERROR, "product texture unusable", &reason)
            }
            R::Storage(e) => e.into(),
            R::Internal(reason) => {
                Self::Internal.because(Level::ERROR, "render pipeline failed", &reason)
            }
        }
    }
}

/// The error code of an answer, left in the response's extensions for the metrics layer and the
/// request's log line.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        response.extensions_mut().insert(ErrorCode(self.code()));
        let this = match self {
            Self::Logged { answer, cause } => {
                response.extensions_mut().insert(cause);
                *answer
            }
            other => other,
        };
        if let Self::RateLimited {
            retry_after_seconds,
            ..
        } = this
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl ApiError {
    /// Every code [`ApiError::code`] gives of its own (a refused photo answers with the photo
    /// core's `PhotoError::ALL_CODES`, a refused beacon with its `BeaconError` code): the widget's
    /// words table is checked against it (tests/widget_error_words.rs).
    pub const OWN_CODES: &'static [&'static str] = &[
        "unknown_key",
        "origin_missing",
        "origin_not_allowed",
        "rate_limited",
        "too_large",
        "invalid_request",
        "unsupported_media_type",
        "request_timeout",
        "not_found",
        "method_not_allowed",
        "unknown_product",
        "person_detected",
        "person_check_unavailable",
        "backend_timeout",
        "backend_unavailable",
        "unknown_secret_key",
        "storage_unavailable",
        "internal",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_codes_are_exactly_the_codes_of_the_variants() {
        let all = [
            ApiError::UnknownKey,
            ApiError::OriginMissing,
            ApiError::OriginNotAllowed {
                origin: String::new(),
            },
            ApiError::RateLimited {
                retry_after_seconds: 0,
                retry_at: 0,
            },
            ApiError::TooLarge { limit_bytes: 0 },
            ApiError::InvalidRequest(String::new()),
            ApiError::UnsupportedMediaType,
            ApiError::Timeout { seconds: 0 },
            ApiError::NotFound,
            ApiError::MethodNotAllowed,
            ApiError::UnknownProduct,
            ApiError::PersonDetected,
            ApiError::PersonCheckUnavailable,
            ApiError::BackendTimeout,
            ApiError::BackendUnavailable,
            ApiError::UnknownSecretKey,
            ApiError::StorageUnavailable,
            ApiError::Internal,
        ];
        // No wildcard: a new variant does not compile until it is in `all` (and OWN_CODES).
        for error in &all {
            match error {
                ApiError::UnknownKey
                | ApiError::OriginMissing
                | ApiError::OriginNotAllowed { .. }
                | ApiError::RateLimited { .. }
                | ApiError::TooLarge { .. }
                | ApiError::InvalidRequest(_)
                | ApiError::UnsupportedMediaType
                | ApiError::Timeout { .. }
                | ApiError::NotFound
                | ApiError::MethodNotAllowed
                | ApiError::UnknownProduct
                | ApiError::PersonDetected
                | ApiError::PersonCheckUnavailable
                | ApiError::BackendTimeout
                | ApiError::BackendUnavailable
                | ApiError::UnknownSecretKey
                | ApiError::StorageUnavailable
                | ApiError::Internal
                // Delegated: their codes are the photo core's and the beacon's own, or (logged)
                // the wrapped answer's.
                | ApiError::Photo { .. }
                | ApiError::Beacon(_)
                | ApiError::Logged { .. } => {}
            }
        }
        let made: Vec<&str> = all.iter().map(ApiError::code).collect();
        assert_eq!(made, ApiError::OWN_CODES);
    }
}
