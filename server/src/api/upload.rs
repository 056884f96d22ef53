//! [`UploadBody`]: a request body read only when the handler asks, up to its route's limit.
//!
//! The upload routes check cheaper things first (the product, the rate limit) and read the photo
//! last, so the extractor only takes the body and its declared length; [`UploadBody::read`]
//! refuses a declared length over the limit before reading anything, and cuts off a body without
//! one at the limit. Either way the answer is 413 `too_large` with the limit.

use std::convert::Infallible;
use std::marker::PhantomData;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use vitrine_core::analytics::beacon::MAX_BEACON_BYTES;

use crate::api::error::ApiError;
use crate::app::{AppState, Shared};

/// How many bytes one route's body may have.
pub trait UploadLimit {
    /// The limit, which may depend on the configuration.
    fn bytes(state: &AppState) -> usize;
}

/// A photo: the server's body limit (`max_body_bytes`).
#[derive(Debug)]
pub struct PhotoLimit;

impl UploadLimit for PhotoLimit {
    fn bytes(state: &AppState) -> usize {
        state.max_body_bytes
    }
}

/// A lead: JSON carrying a render in base64, which is a third larger than the image.
#[derive(Debug)]
pub struct LeadLimit;

impl UploadLimit for LeadLimit {
    fn bytes(state: &AppState) -> usize {
        state.max_body_bytes / 3 * 4 + 4096
    }
}

/// An analytics beacon: the core's beacon limit.
#[derive(Debug)]
pub struct BeaconLimit;

impl UploadLimit for BeaconLimit {
    fn bytes(_: &AppState) -> usize {
        MAX_BEACON_BYTES
    }
}

/// A body not yet read, with its route's limit `L`.
#[derive(Debug)]
pub struct UploadBody<L> {
    body: Body,
    declared: Option<u64>,
    limit: usize,
    route: PhantomData<L>,
}

impl<L: UploadLimit> FromRequest<Shared> for UploadBody<L> {
    type Rejection = Infallible;

    async fn from_request(request: Request, state: &Shared) -> Result<Self, Self::Rejection> {
        Ok(Self {
            declared: declared_length(request.headers()),
            body: request.into_body(),
            limit: L::bytes(state),
            route: PhantomData,
        })
    }
}

impl<L> UploadBody<L> {
    /// The whole body, or `too_large` if it declares or has more than the limit.
    pub async fn read(self) -> Result<Bytes, ApiError> {
        let too_large = || ApiError::TooLarge {
            limit_bytes: self.limit,
        };
        if self
            .declared
            .is_some_and(|length| length > self.limit as u64)
        {
            return Err(too_large());
        }
        axum::body::to_bytes(self.body, self.limit)
            .await
            .map_err(|_| too_large())
    }
}

/// The body length a request declares (`Content-Length`), if it declares a valid one.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}
