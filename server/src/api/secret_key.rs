//! [`SecretKeyHolder`]: the retailer behind a live secret key in `Authorization: Bearer sk_…`,
//! for the server-to-server endpoints. A missing, malformed, unknown or revoked key is refused
//! with 401 `unknown_secret_key` and recorded as a security event (kind only).

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::api::error::ApiError;
use crate::app::Shared;
use crate::storage::RetailerId;

/// The retailer whose live secret key the request carries.
#[derive(Debug, Clone, Copy)]
pub struct SecretKeyHolder(pub RetailerId);

impl FromRequestParts<Shared> for SecretKeyHolder {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let retailer = match secret {
            Some(secret) => state.storage.verify_secret_key(secret).await?,
            None => None,
        };
        match retailer {
            Some(retailer) => Ok(Self(retailer)),
            None => {
                if let Err(error) = state
                    .storage
                    .record_security_event(None, "unknown_secret_key", state.clock.now())
                    .await
                {
                    tracing::warn!(error = %error, "could not record a security event");
                }
                Err(ApiError::UnknownSecretKey)
            }
        }
    }
}
