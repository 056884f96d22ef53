//! Google's Gemini image generation (`POST /v1beta/models/{model}:generateContent`): the prompt,
//! the room photo and the texture tile as inline data, image output asked for; the first inline
//! image of the first candidate is the render.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;
use serde_json::json;
use vitrine_core::ai_label::DigitalSourceType;

use crate::render::backend::{BackendError, BackendFuture, RenderBackend, RenderJob};
use crate::render::hosted::{
    self, Attempt, HostedSettings, decode_answer_image, image_in_answer, transport_error,
    with_retries,
};
use crate::render::openai::photo_mime;

const PROVIDER: &str = "Gemini";

/// The adapter.
#[derive(Debug, Clone)]
pub struct GeminiImage {
    settings: HostedSettings,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    candidates: Vec<Candidate>,
}

#[derive(Deserialize)]
struct Candidate {
    content: Option<Content>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<AnswerPart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnswerPart {
    inline_data: Option<InlineData>,
}

#[derive(Deserialize)]
struct InlineData {
    data: String,
}

impl GeminiImage {
    /// An adapter with these settings.
    pub fn new(settings: HostedSettings) -> Result<Self, BackendError> {
        Ok(Self {
            settings,
            client: hosted::http_client()?,
        })
    }

    async fn attempt(&self, request: &serde_json::Value) -> Attempt<Vec<u8>> {
        let url = format!(
            "{}/v1beta/models/{}:generateContent",
            self.settings.base_url.trim_end_matches('/'),
            self.settings.model
        );
        // The key goes in a header, never in the URL (URLs end up in proxies' logs).
        let response = match self
            .client
            .post(url)
            .header("x-goog-api-key", self.settings.api_key.expose())
            .json(request)
            .send()
            .await
        {
            Ok(response) => response,
            Err(error) => return transport_error(PROVIDER, error),
        };
        image_in_answer(PROVIDER, response, |answer: Answer| {
            answer
                .candidates
                .into_iter()
                .filter_map(|c| c.content)
                .flat_map(|c| c.parts)
                .find_map(|p| p.inline_data)
                .map(|inline| inline.data)
        })
        .await
    }
}

impl RenderBackend for GeminiImage {
    fn name(&self) -> &'static str {
        "gemini"
    }

    fn source_type(&self) -> DigitalSourceType {
        DigitalSourceType::TrainedAlgorithmicMedia
    }

    fn render(&self, job: RenderJob) -> BackendFuture<'_> {
        Box::pin(async move {
            let texture = hosted::texture_png(&job.product.texture)?;
            let request = json!({
                "contents": [{
                    "role": "user",
                    "parts": [
                        {"text": hosted::prompt(&job.product.name, job.product.surface, job.product.tile_mm)},
                        {"inlineData": {"mimeType": photo_mime(&job.photo_bytes), "data": BASE64.encode(job.photo_bytes.as_slice())}},
                        {"inlineData": {"mimeType": "image/png", "data": BASE64.encode(&texture)}},
                    ],
                }],
                "generationConfig": {"responseModalities": ["IMAGE"]},
            });
            let image = with_retries(&self.settings, || self.attempt(&request)).await?;
            tokio::task::spawn_blocking(move || decode_answer_image(PROVIDER, &image))
                .await
                .map_err(|e| BackendError::Failed(e.to_string()))?
        })
    }
}
