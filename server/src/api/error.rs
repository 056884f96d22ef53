//! The one error type of the HTTP API. Every refusal is a status code plus a JSON body with a
//! stable machine code (`unknown_key`, `rate_limited`, …) the widget maps to plain words, and a
//! message for the developer reading the network panel.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::storage::StorageError;

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
}

/// The JSON body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
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
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
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
        // The error text names tables and SQL, never request data; it is logged, not returned.
        tracing::error!(error = %error, "storage error");
        match error {
            StorageError::Database(_) | StorageError::Unwritable(_) => Self::StorageUnavailable,
            _ => Self::Internal,
        }
    }
}

impl From<crate::render::RenderError> for ApiError {
    fn from(error: crate::render::RenderError) -> Self {
        use crate::render::RenderError as R;
        use crate::render::backend::BackendError as B;
        match error {
            R::UnknownProduct => Self::UnknownProduct,
            R::Photo(photo) => match photo {
                vitrine_core::photo::PhotoError::Encode(_)
                | vitrine_core::photo::PhotoError::VerificationFailed(_) => {
                    tracing::error!(error = %photo, "cleaning a photo failed on our side");
                    Self::Internal
                }
                other => Self::Photo {
                    code: other.code(),
                    message: other.to_string(),
                },
            },
            R::PersonDetected => Self::PersonDetected,
            R::PersonCheckUnavailable(reason) => {
                tracing::error!(%reason, "person check unavailable: photo refused");
                Self::PersonCheckUnavailable
            }
            R::Placement(reason) => Self::InvalidRequest(reason),
            R::Backend(B::Timeout) => Self::BackendTimeout,
            R::Backend(B::Unavailable(reason)) => {
                tracing::warn!(%reason, "render backend unavailable");
                Self::BackendUnavailable
            }
            R::Backend(B::Failed(reason)) => {
                tracing::error!(%reason, "render failed");
                Self::Internal
            }
            R::ProductUnusable(reason) => {
                tracing::error!(%reason, "product texture unusable");
                Self::Internal
            }
            R::Storage(e) => e.into(),
            R::Internal(reason) => {
                tracing::error!(%reason, "render pipeline failed");
                Self::Internal
            }
        }
    }
}

/// The error code of an answer, left in the response's extensions for the metrics layer.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(self.body())).into_response();
        response.extensions_mut().insert(ErrorCode(self.code()));
        if let Self::RateLimited {
            retry_after_seconds,
            ..
        } = self
            && let Ok(value) = HeaderValue::from_str(&retry_after_seconds.max(1).to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
