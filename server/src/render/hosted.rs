//! What the hosted AI adapters share: one HTTP client, a timeout per attempt, bounded retries
//! with backoff, error mapping, and a guarded decode of the image that comes back.
//!
//! What leaves for a provider: the cleaned photo (metadata stripped and verified, checked for
//! people), the product's texture tile, and a prompt naming the product and the surface. No
//! shopper identifier, address, session id, retailer name or key of ours is sent; the request
//! carries only the provider's own API key.

use std::io::Cursor;
use std::time::Duration;

use image::RgbImage;
use reqwest::StatusCode;

use crate::render::backend::BackendError;
use crate::secret::Secret;

/// Largest answer body accepted from a provider (a 1536×1024 PNG in base64 is about 4 MB).
pub const MAX_ANSWER_BYTES: usize = 32 * 1024 * 1024;

/// Largest side of an image accepted back from a provider.
const MAX_ANSWER_SIDE: u32 = 4096;

/// How an adapter talks to its provider. (`Debug` leaves the API key out.)
#[derive(Clone, Debug)]
pub struct HostedSettings {
    /// Base URL, e.g. `https://api.openai.com` (tests point it at a local server).
    pub base_url: String,
    /// The provider's API key.
    pub api_key: Secret,
    /// The model name.
    pub model: String,
    /// Time allowed for one attempt, answer included.
    pub attempt_timeout: Duration,
    /// Attempts after the first, on timeouts, connection errors, 429 and 5xx.
    pub retries: u32,
    /// Wait before the first retry; doubled each time (a provider's `Retry-After` wins, up to
    /// [`MAX_BACKOFF`]).
    pub backoff: Duration,
}

/// Longest wait between attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The client every adapter uses: no cookies, no redirects to elsewhere, rustls with the
/// system's roots.
pub fn http_client() -> Result<reqwest::Client, BackendError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("vitrine-render-server")
        .build()
        .map_err(|e| BackendError::Unavailable(format!("cannot build the HTTP client: {e}")))
}

/// One attempt's outcome, as the retry loop sees it.
#[derive(Debug)]
pub enum Attempt<T> {
    /// Done.
    Done(T),
    /// Worth another try (after at least this long, if the provider said).
    Retry(BackendError, Option<Duration>),
    /// Not worth another try.
    Fail(BackendError),
}

/// Runs `attempt` up to `1 + retries` times with exponential backoff.
pub async fn with_retries<T, F, Fut>(
    settings: &HostedSettings,
    mut attempt: F,
) -> Result<T, BackendError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Attempt<T>>,
{
    let mut wait = settings.backoff;
    let mut tries = 0;
    loop {
        let outcome = match tokio::time::timeout(settings.attempt_timeout, attempt()).await {
            Ok(outcome) => outcome,
            Err(_) => Attempt::Retry(BackendError::Timeout, None),
        };
        match outcome {
            Attempt::Done(value) => return Ok(value),
            Attempt::Fail(error) => return Err(error),
            Attempt::Retry(error, _) if tries >= settings.retries => return Err(error),
            Attempt::Retry(_, asked) => {
                tries += 1;
                tokio::time::sleep(asked.unwrap_or(wait).min(MAX_BACKOFF)).await;
                wait = (wait * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Classifies an HTTP answer's status: success, retry (429, 5xx) or failure.
pub fn classify_status(
    provider: &str,
    status: StatusCode,
    retry_after: Option<&reqwest::header::HeaderValue>,
) -> Option<Attempt<()>> {
    if status.is_success() {
        return None;
    }
    let asked = retry_after
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let error = BackendError::Unavailable(format!("{provider} answered {status}"));
    Some(
        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            Attempt::Retry(error, asked)
        } else {
            Attempt::Fail(error)
        },
    )
}

/// Maps a transport error: timeouts and connection failures are worth a retry.
pub fn transport_error<T>(provider: &str, error: reqwest::Error) -> Attempt<T> {
    if error.is_timeout() {
        Attempt::Retry(BackendError::Timeout, None)
    } else {
        // Without the URL: it may carry a key in some providers' schemes.
        Attempt::Retry(
            BackendError::Unavailable(format!(
                "{provider} could not be reached: {}",
                error.without_url()
            )),
            None,
        )
    }
}

/// The image inside a provider's answer: a success status (else retry on 429/5xx, fail on other
/// 4xx), a body within [`MAX_ANSWER_BYTES`], JSON of type `T`, and in it a base64 image that
/// `image_of` finds (a refusal or a text-only answer is a failure: retrying will not change it).
pub async fn image_in_answer<T: serde::de::DeserializeOwned>(
    provider: &str,
    response: reqwest::Response,
    image_of: impl FnOnce(T) -> Option<String>,
) -> Attempt<Vec<u8>> {
    use base64::Engine;
    let unavailable = |what: String| Attempt::Fail(BackendError::Unavailable(what));
    match classify_status(
        provider,
        response.status(),
        response.headers().get("retry-after"),
    ) {
        Some(Attempt::Retry(e, after)) => return Attempt::Retry(e, after),
        Some(Attempt::Fail(e)) => return Attempt::Fail(e),
        Some(Attempt::Done(())) | None => {}
    }
    let body = match read_limited(provider, response).await {
        Ok(body) => body,
        Err(attempt) => return attempt,
    };
    let answer: T = match serde_json::from_slice(&body) {
        Ok(answer) => answer,
        Err(e) => return unavailable(format!("{provider}'s answer is not the expected JSON: {e}")),
    };
    let Some(encoded) = image_of(answer) else {
        return unavailable(format!("{provider}'s answer holds no image"));
    };
    match base64::engine::general_purpose::STANDARD.decode(encoded.as_bytes()) {
        Ok(image) => Attempt::Done(image),
        Err(e) => unavailable(format!("{provider}'s image is not valid base64: {e}")),
    }
}

/// Reads an answer body up to [`MAX_ANSWER_BYTES`].
pub async fn read_limited(
    provider: &str,
    mut response: reqwest::Response,
) -> Result<Vec<u8>, Attempt<Vec<u8>>> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                    return Err(Attempt::Fail(BackendError::Unavailable(format!(
                        "{provider}'s answer is over {MAX_ANSWER_BYTES} bytes"
                    ))));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(error) => return Err(transport_error(provider, error)),
        }
    }
}

/// Decodes the image a provider returned, refusing oversized canvases before decoding.
pub fn decode_answer_image(provider: &str, bytes: &[u8]) -> Result<RgbImage, BackendError> {
    let unusable = |e: String| {
        BackendError::Unavailable(format!("{provider} returned an unusable image: {e}"))
    };
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| unusable(e.to_string()))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_ANSWER_SIDE);
    limits.max_image_height = Some(MAX_ANSWER_SIDE);
    reader.limits(limits);
    Ok(reader
        .decode()
        .map_err(|e| unusable(e.to_string()))?
        .into_rgb8())
}

/// The texture tile as PNG, to send beside the photo.
pub fn texture_png(texture: &vitrine_core::compositor::Texture) -> Result<Vec<u8>, BackendError> {
    let tile = &texture.tile;
    let rgba = image::RgbaImage::from_raw(tile.width(), tile.height(), tile.pixels().to_vec())
        .ok_or_else(|| BackendError::Failed("the texture has the wrong size".into()))?;
    let mut out = Vec::new();
    rgba.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| BackendError::Failed(e.to_string()))?;
    Ok(out)
}

/// The instruction sent with the photo: the product and surface, nothing about the shopper.
pub fn prompt(product_name: &str, surface: crate::storage::Surface, tile_mm: (i64, i64)) -> String {
    let surface = match surface {
        crate::storage::Surface::Floor => "floor",
        crate::storage::Surface::Wall => "main wall",
    };
    format!(
        "Edit the first image, a photo of a room: replace the {surface} with the material shown in \
         the second image ({product_name}; one tile of it measures {} × {} mm). Keep everything \
         else exactly as it is: furniture, light, shadows, perspective, framing. Lay the material \
         in true perspective at its real size. Do not add people, text or logos.",
        tile_mm.0, tile_mm.1
    )
}
