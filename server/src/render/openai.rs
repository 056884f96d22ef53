//! OpenAI's image edits API (`POST /v1/images/edits`, multipart): the room photo and the texture
//! tile as `image[]`, a prompt, one output; the answer's `data[0].b64_json` is the render.

use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use vitrine_core::ai_label::DigitalSourceType;

use crate::render::backend::{BackendError, BackendFuture, RenderBackend, RenderJob};
use crate::render::hosted::{
    self, Attempt, HostedSettings, decode_answer_image, image_in_answer, transport_error,
    with_retries,
};

const PROVIDER: &str = "OpenAI";

/// The adapter.
#[derive(Debug, Clone)]
pub struct OpenAiImageEdits {
    settings: HostedSettings,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct EditsAnswer {
    data: Vec<EditedImage>,
}

#[derive(Deserialize)]
struct EditedImage {
    b64_json: Option<String>,
}

impl OpenAiImageEdits {
    /// An adapter with these settings.
    pub fn new(settings: HostedSettings) -> Result<Self, BackendError> {
        Ok(Self {
            settings,
            client: hosted::http_client()?,
        })
    }

    async fn attempt(&self, job: &RenderJob, texture_png: &[u8]) -> Attempt<Vec<u8>> {
        let prompt = hosted::prompt(&job.product.name, job.product.surface, job.product.tile_mm);
        let part = |bytes: Vec<u8>, name: &'static str, mime: &'static str| {
            Part::bytes(bytes).file_name(name).mime_str(mime)
        };
        let (Ok(photo), Ok(texture)) = (
            part(
                job.photo_bytes.to_vec(),
                "room.jpg",
                photo_mime(&job.photo_bytes),
            ),
            part(texture_png.to_vec(), "material.png", "image/png"),
        ) else {
            return Attempt::Fail(BackendError::Failed("building the upload failed".into()));
        };
        let form = Form::new()
            .text("model", self.settings.model.clone())
            .text("prompt", prompt)
            .text("n", "1")
            .text("size", "auto")
            .part("image[]", photo)
            .part("image[]", texture);
        let url = format!(
            "{}/v1/images/edits",
            self.settings.base_url.trim_end_matches('/')
        );
        let response = match self
            .client
            .post(url)
            .bearer_auth(self.settings.api_key.expose())
            .multipart(form)
            .send()
            .await
        {
            Ok(response) => response,
            Err(error) => return transport_error(PROVIDER, error),
        };
        image_in_answer(PROVIDER, response, |answer: EditsAnswer| {
            answer.data.into_iter().next().and_then(|d| d.b64_json)
        })
        .await
    }
}

/// The MIME type of a cleaned photo, from its first bytes.
pub fn photo_mime(bytes: &[u8]) -> &'static str {
    use vitrine_core::photo::ImageFormat;
    match vitrine_core::photo::sniff(bytes) {
        Ok(ImageFormat::Png) => "image/png",
        Ok(ImageFormat::WebP) => "image/webp",
        _ => "image/jpeg",
    }
}

impl RenderBackend for OpenAiImageEdits {
    fn name(&self) -> &'static str {
        "openai"
    }

    fn source_type(&self) -> DigitalSourceType {
        DigitalSourceType::TrainedAlgorithmicMedia
    }

    fn render(&self, job: RenderJob) -> BackendFuture<'_> {
        Box::pin(async move {
            let texture = hosted::texture_png(&job.product.texture)?;
            let image = with_retries(&self.settings, || self.attempt(&job, &texture)).await?;
            tokio::task::spawn_blocking(move || decode_answer_image(PROVIDER, &image))
                .await
                .map_err(|e| BackendError::Failed(e.to_string()))?
        })
    }
}
