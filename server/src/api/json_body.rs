//! `Json<T>` with refusals as [`ApiError`]s: a body over the limit is `too_large` (413), a body
//! that is not JSON of the expected shape is `invalid_request` (400), a wrong content type is
//! `unsupported_media_type` (415) — each as the API's JSON error, not axum's plain text.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::api::error::ApiError;

/// Largest JSON body a widget endpoint reads.
pub const MAX_JSON_BYTES: usize = 16 * 1024;

/// A JSON request body.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(refusal(&rejection)),
        }
    }
}

fn refusal(rejection: &JsonRejection) -> ApiError {
    match rejection {
        JsonRejection::MissingJsonContentType(_) => ApiError::UnsupportedMediaType,
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge {
            limit_bytes: MAX_JSON_BYTES,
        },
        JsonRejection::JsonDataError(e) => ApiError::InvalidRequest(e.body_text()),
        JsonRejection::JsonSyntaxError(e) => ApiError::InvalidRequest(e.body_text()),
        other => ApiError::InvalidRequest(other.body_text()),
    }
}
