//! "Email me this render" (002 §3, §6): the shopper's email, the render and the product become a
//! lead for the retailer, with a separate marketing opt-in that is false unless the shopper
//! ticked it. The email address is stored for the retailer and never logged.
//!
//! `POST /v1/widget/{key}/leads` with JSON `{ email, product, marketing_opt_in, render }`
//! (`render`: the JPEG, base64). Like a shared render, it may come from the shopper's device, so
//! it passes the photo core and the person check again and is re-labelled.

use axum::Extension;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::error::{ApiError, ErrorBody, GateRefusals, RecheckRefusals};
use crate::api::upload::{LeadLimit, UploadBody};
use crate::api::widget::{WidgetKey, require_product, valid_product};
use crate::app::Shared;
use crate::storage::Lead;
use crate::widget_guard::WidgetCaller;

/// Longest email address accepted (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// The shopper's request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeadRequest {
    /// Where to send the render.
    #[schema(example = "shopper@example.com")]
    pub email: String,
    /// The retailer's product identifier (SKU).
    pub product: String,
    /// The shopper ticked "also send me offers" — absent means no.
    #[serde(default)]
    pub marketing_opt_in: bool,
    /// The render, a JPEG, base64-encoded.
    pub render: String,
}

/// The stored lead.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LeadCreated {
    /// The lead's id.
    pub id: i64,
    /// Whether marketing was opted into, as stored.
    pub marketing_opt_in: bool,
}

/// An address of the shape `local@domain.tld`, without spaces or control characters, at most
/// 254 characters; the domain is compared in lowercase. Deliverability is the mail system's.
pub fn valid_email(email: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::InvalidRequest("`email` is not an email address".to_owned());
    let email = email.trim();
    if email.is_empty()
        || email.chars().count() > MAX_EMAIL_CHARS
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    let labels: Vec<&str> = domain.split('.').collect();
    if local.is_empty()
        || local.len() > 64
        || local.contains('@')
        || labels.len() < 2
        || labels.iter().any(|label| {
            label.is_empty()
                || label.starts_with('-')
                || label.ends_with('-')
                || !label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
    {
        return Err(invalid());
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// Stores a lead: the shopper asked for this render by email.
#[utoipa::path(
    post,
    path = "/v1/widget/{key}/leads",
    tag = "widget",
    params(WidgetKey),
    request_body = LeadRequest,
    responses(
        (status = 201, description = "Stored for the retailer", body = LeadCreated),
        (status = 400, description = "`invalid_request` (email, product, render)", body = ErrorBody),
        GateRefusals,
        RecheckRefusals,
    )
)]
pub async fn create(
    State(state): State<Shared>,
    Extension(caller): Extension<WidgetCaller>,
    body: UploadBody<LeadLimit>,
) -> Result<(StatusCode, Json<LeadCreated>), ApiError> {
    let bytes = body.read().await?;
    let request: LeadRequest = serde_json::from_slice(&bytes)
        // serde's message can quote the input (the email): say only where it failed.
        .map_err(|e| {
            ApiError::InvalidRequest(format!(
                "the body is not a lead request (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
    let email = valid_email(&request.email)?;
    let product = valid_product(&request.product)?.to_owned();
    require_product(&state, caller.retailer, &product).await?;
    let upload = base64::engine::general_purpose::STANDARD
        .decode(request.render.as_bytes())
        .map_err(|_| ApiError::InvalidRequest("`render` is not base64".to_owned()))?;
    let backend = state.storage.render_backend(caller.retailer).await?;
    let render = state.render.recheck_render(upload, backend).await?;
    let lead = Lead {
        email,
        product,
        render,
        marketing_opt_in: request.marketing_opt_in,
        created_at: state.clock.now(),
    };
    let id = state.storage.add_lead(caller.retailer, &lead).await?;
    Ok((
        StatusCode::CREATED,
        Json(LeadCreated {
            id,
            marketing_opt_in: lead.marketing_opt_in,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        for good in [
            "a@b.co",
            "Shopper.Name+tag@Example.COM",
            "x@sub.domain.example",
        ] {
            assert!(valid_email(good).is_ok(), "{good}");
        }
        assert_eq!(
            valid_email(" Shopper@Example.COM ").expect("valid"),
            "Shopper@example.com"
        );
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a@example",
            "a@@example.com",
            "a b@example.com",
            "a@exa mple.com",
            "a@-example.com",
            "a@example..com",
            "a@exam\nple.com",
        ] {
            assert!(valid_email(bad).is_err(), "{bad:?}");
        }
        assert!(valid_email(&format!("{}@example.com", "a".repeat(65))).is_err());
        assert!(valid_email(&format!("a@{}.com", "b".repeat(260))).is_err());
    }
}
