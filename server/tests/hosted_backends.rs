//! The hosted AI adapters against local servers that speak OpenAI's image edits and Gemini's
//! generateContent protocols: the request's shape (and that it carries no metadata and no
//! identifier), retries with backoff on 429/5xx, no retry on 4xx, timeouts, unusable answers —
//! each mapped to the API's error codes. No test reaches the internet.

#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use vitrine_core::compositor::{RgbaImage, Texture};
use vitrine_server::api::error::ApiError;
use vitrine_server::render::gemini::GeminiImage;
use vitrine_server::render::hosted::HostedSettings;
use vitrine_server::render::openai::OpenAiImageEdits;
use vitrine_server::render::person_gate::PersonGate;
use vitrine_server::render::textures::ProductTexture;
use vitrine_server::render::{RelativePlacement, RenderBackends, RenderService};
use vitrine_server::secret::Secret;
use vitrine_server::storage::{BackendChoice, Surface};

/// What the fake provider does with each request, in order; the last repeats.
#[derive(Debug, Clone)]
enum Behaviour {
    Image,
    Status(u16),
    Slow(Duration),
    NoImage,
    BadBase64,
}

/// One request as the fake provider received it.
type SeenRequest = (HeaderMap, Vec<(String, Vec<u8>)>, Option<Value>);

#[derive(Debug, Default)]
struct Seen {
    /// Per request: headers, and the multipart fields (name, bytes) or the JSON body.
    requests: Vec<SeenRequest>,
}

#[derive(Clone)]
struct Provider {
    script: Arc<Mutex<Vec<Behaviour>>>,
    seen: Arc<Mutex<Seen>>,
}

impl Provider {
    fn next(&self) -> Behaviour {
        let mut script = self.script.lock().unwrap();
        if script.len() > 1 {
            script.remove(0)
        } else {
            script[0].clone()
        }
    }
}

fn answer_png() -> Vec<u8> {
    let image = image::RgbImage::from_pixel(96, 64, image::Rgb([40, 120, 200]));
    let mut out = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

async fn behave(provider: &Provider, openai: bool) -> Response {
    let image = match provider.next() {
        Behaviour::Image => BASE64.encode(answer_png()),
        Behaviour::Status(code) => {
            let mut response =
                (StatusCode::from_u16(code).unwrap(), "{\"error\":{}}").into_response();
            if code == 429 {
                response
                    .headers_mut()
                    .insert("retry-after", "0".parse().unwrap());
            }
            return response;
        }
        Behaviour::Slow(wait) => {
            tokio::time::sleep(wait).await;
            BASE64.encode(answer_png())
        }
        Behaviour::NoImage => {
            return if openai {
                axum::Json(json!({"data": []})).into_response()
            } else {
                axum::Json(json!({"candidates": [{"content": {"parts": [{"text": "I can't."}]}}]}))
                    .into_response()
            };
        }
        Behaviour::BadBase64 => "%%%not base64%%%".to_owned(),
    };
    if openai {
        axum::Json(json!({"created": 1, "data": [{"b64_json": image}]})).into_response()
    } else {
        axum::Json(json!({"candidates": [{"content": {"role": "model", "parts": [{"inlineData": {"mimeType": "image/png", "data": image}}]}}]})).into_response()
    }
}

async fn openai_edits(
    State(provider): State<Provider>,
    headers: HeaderMap,
    mut form: Multipart,
) -> Response {
    let mut parts = Vec::new();
    while let Some(field) = form.next_field().await.unwrap() {
        let name = field.name().unwrap_or_default().to_owned();
        parts.push((name, field.bytes().await.unwrap().to_vec()));
    }
    provider
        .seen
        .lock()
        .unwrap()
        .requests
        .push((headers, parts, None));
    behave(&provider, true).await
}

async fn gemini_generate(
    State(provider): State<Provider>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let value: Value = serde_json::from_slice(&body).unwrap();
    provider
        .seen
        .lock()
        .unwrap()
        .requests
        .push((headers, Vec::new(), Some(value)));
    behave(&provider, false).await
}

/// A fake provider on 127.0.0.1, following `script`.
async fn fake_provider(script: Vec<Behaviour>) -> (String, Provider) {
    let provider = Provider {
        script: Arc::new(Mutex::new(script)),
        seen: Arc::new(Mutex::new(Seen::default())),
    };
    let app = Router::new()
        .route("/v1/images/edits", post(openai_edits))
        .route("/v1beta/models/{model_call}", post(gemini_generate))
        .with_state(provider.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, provider)
}

fn settings(base_url: &str, timeout: Duration) -> HostedSettings {
    HostedSettings {
        base_url: base_url.to_owned(),
        api_key: Secret::new("test-provider-key"),
        model: "test-model".to_owned(),
        attempt_timeout: timeout,
        retries: 2,
        backoff: Duration::from_millis(10),
    }
}

fn product() -> Arc<ProductTexture> {
    let tile = RgbaImage::new(8, 8, vec![150; 8 * 8 * 4]).unwrap();
    Arc::new(ProductTexture {
        sku: "OAK-190".into(),
        name: "Oak plank".into(),
        tile_mm: (1200, 190),
        surface: Surface::Floor,
        texture: Texture {
            tile,
            tile_width_m: 1.2,
            tile_height_m: 0.19,
        },
    })
}

fn person_gate() -> PersonGate {
    let gate = PersonGate::load(&common::workspace_root().join("target/models"));
    assert!(gate.is_ready(), "{gate:?}");
    gate
}

fn service(choice: BackendChoice, base_url: &str, timeout: Duration) -> RenderService {
    let mut backends = RenderBackends::builtin_only();
    match choice {
        BackendChoice::OpenAi => {
            backends.openai = Some(Arc::new(
                OpenAiImageEdits::new(settings(base_url, timeout)).unwrap(),
            ))
        }
        BackendChoice::Gemini => {
            backends.gemini = Some(Arc::new(
                GeminiImage::new(settings(base_url, timeout)).unwrap(),
            ))
        }
        BackendChoice::Builtin => {}
    }
    RenderService::new(person_gate(), backends, 2, 4 << 20)
}

const PLACEMENT: RelativePlacement = RelativePlacement {
    corners: [(0.2, 0.6), (0.8, 0.6), (1.0, 1.0), (0.0, 1.0)],
    width_m: 4.0,
    depth_m: 4.0,
};

/// The photo: a real camera photo with GPS, camera make and model, and a thumbnail.
fn room_photo() -> Vec<u8> {
    common::fixture_photo("ia__gps_DSCN0010.jpg")
}

/// Nothing in what we sent may identify the shopper, us or the retailer.
fn assert_no_identifier(haystack: &[u8]) {
    let text = String::from_utf8_lossy(haystack);
    for needle in [
        "192.0.2.",
        "pk_",
        "sk_",
        "Hearth",
        "session",
        "vitrine-session",
        "NIKON",
        "COOLPIX",
        "GPS",
    ] {
        assert!(
            !text.contains(needle),
            "{needle:?} was sent to the provider"
        );
    }
}

#[tokio::test]
async fn openai_request_shape_and_a_labelled_render() {
    let (url, provider) = fake_provider(vec![Behaviour::Image]).await;
    let service = service(BackendChoice::OpenAi, &url, Duration::from_secs(10));
    let rendered = service
        .render(room_photo(), product(), PLACEMENT, BackendChoice::OpenAi)
        .await
        .unwrap();
    assert_eq!(rendered.backend, "openai");
    assert_eq!(
        vitrine_core::ai_label::stated_source_type(&rendered.jpeg),
        Some("http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia")
    );
    assert!(common::exiftool_tags(&rendered.jpeg).contains("trainedAlgorithmicMedia"));
    let decoded = image::load_from_memory(&rendered.jpeg).unwrap();
    assert_eq!(
        (decoded.width(), decoded.height()),
        (96, 64),
        "the provider's picture"
    );

    let seen = provider.seen.lock().unwrap();
    assert_eq!(seen.requests.len(), 1);
    let (headers, parts, _) = &seen.requests[0];
    assert_eq!(headers["authorization"], "Bearer test-provider-key");
    assert!(headers.get("cookie").is_none());
    let names: Vec<&str> = parts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["model", "prompt", "n", "size", "image[]", "image[]"]
    );
    let field = |name: &str| {
        String::from_utf8_lossy(&parts.iter().find(|(n, _)| n == name).unwrap().1).into_owned()
    };
    assert_eq!(field("model"), "test-model");
    assert!(field("prompt").contains("Oak plank") && field("prompt").contains("floor"));
    // The photo sent carries no metadata: exiftool and our own parser agree.
    let photo = &parts[4].1;
    let tags = common::exiftool_tags(photo);
    for group in [
        "[GPS]",
        "[IFD0]",
        "[ExifIFD]",
        "[IFD1]",
        "[XMP",
        "[ICC",
        "[IPTC]",
        "[MakerNotes",
    ] {
        assert!(!tags.contains(group), "{group} was sent:\n{tags}");
    }
    let inspection = vitrine_core::photo::inspect(photo, &Default::default()).unwrap();
    assert!(
        inspection
            .report
            .carriers
            .iter()
            .all(|c| c.kind == vitrine_core::photo::CarrierKind::Jfif),
        "{inspection:?}"
    );
    for (_, bytes) in parts {
        assert_no_identifier(bytes);
    }
    for (name, value) in headers {
        assert!(
            !["x-forwarded-for", "forwarded", "origin", "referer"].contains(&name.as_str()),
            "{name} sent"
        );
        assert_no_identifier(value.as_bytes());
    }
}

#[tokio::test]
async fn gemini_request_shape_and_a_labelled_render() {
    let (url, provider) = fake_provider(vec![Behaviour::Image]).await;
    let service = service(BackendChoice::Gemini, &url, Duration::from_secs(10));
    let rendered = service
        .render(room_photo(), product(), PLACEMENT, BackendChoice::Gemini)
        .await
        .unwrap();
    assert_eq!(rendered.backend, "gemini");
    assert!(common::exiftool_tags(&rendered.jpeg).contains("trainedAlgorithmicMedia"));
    let seen = provider.seen.lock().unwrap();
    let (headers, _, body) = &seen.requests[0];
    assert_eq!(headers["x-goog-api-key"], "test-provider-key");
    assert!(headers.get("authorization").is_none());
    let body = body.as_ref().unwrap();
    let parts = body["contents"][0]["parts"].as_array().unwrap();
    assert_eq!(parts.len(), 3);
    assert!(parts[0]["text"].as_str().unwrap().contains("Oak plank"));
    assert_eq!(parts[1]["inlineData"]["mimeType"], "image/jpeg");
    assert_eq!(parts[2]["inlineData"]["mimeType"], "image/png");
    assert_eq!(
        body["generationConfig"]["responseModalities"],
        json!(["IMAGE"])
    );
    let photo = BASE64
        .decode(parts[1]["inlineData"]["data"].as_str().unwrap())
        .unwrap();
    assert!(!common::exiftool_tags(&photo).contains("[GPS]"));
    assert_no_identifier(&photo);
    assert_no_identifier(parts[0]["text"].as_str().unwrap().as_bytes());
}

/// Runs one render against a scripted provider; returns the API error code (or "ok") and how
/// many requests the provider saw.
async fn outcome(
    choice: BackendChoice,
    script: Vec<Behaviour>,
    timeout: Duration,
) -> (String, usize) {
    let (url, provider) = fake_provider(script).await;
    let service = service(choice, &url, timeout);
    let code = match service
        .render(room_photo(), product(), PLACEMENT, choice)
        .await
    {
        Ok(_) => "ok".to_owned(),
        Err(error) => ApiError::from(error).code().to_owned(),
    };
    let count = provider.seen.lock().unwrap().requests.len();
    (code, count)
}

#[tokio::test]
async fn errors_retries_and_timeouts_map_to_the_api_codes() {
    let quick = Duration::from_secs(5);
    for choice in [BackendChoice::OpenAi, BackendChoice::Gemini] {
        use Behaviour::*;
        let cases: Vec<(Vec<Behaviour>, Duration, &str, usize)> = vec![
            // A 5xx, then success: retried.
            (vec![Status(503), Image], quick, "ok", 2),
            // Rate limited by the provider (Retry-After: 0), then success.
            (vec![Status(429), Image], quick, "ok", 2),
            // Always failing: three attempts, then backend_unavailable.
            (vec![Status(500)], quick, "backend_unavailable", 3),
            // A 4xx is our request's fault: no retry.
            (vec![Status(400)], quick, "backend_unavailable", 1),
            (vec![Status(401)], quick, "backend_unavailable", 1),
            // Too slow every time: backend_timeout after the retries.
            (
                vec![Slow(Duration::from_millis(800))],
                Duration::from_millis(200),
                "backend_timeout",
                3,
            ),
            // Slow once, then fine.
            (
                vec![Slow(Duration::from_millis(800)), Image],
                Duration::from_millis(200),
                "ok",
                2,
            ),
            // Answers without a usable image.
            (vec![NoImage], quick, "backend_unavailable", 1),
            (vec![BadBase64], quick, "backend_unavailable", 1),
        ];
        for (script, timeout, expected, requests) in cases {
            let shown = format!("{choice:?} {script:?}");
            let (code, count) = outcome(choice, script, timeout).await;
            assert_eq!((code.as_str(), count), (expected, requests), "{shown}");
        }
    }
}

#[tokio::test]
async fn unreachable_or_unconfigured_backends_are_unavailable() {
    // Nothing listens on this port (bound, then closed).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let service = service(
        BackendChoice::OpenAi,
        &format!("http://127.0.0.1:{port}"),
        Duration::from_secs(2),
    );
    let error = service
        .render(room_photo(), product(), PLACEMENT, BackendChoice::OpenAi)
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(error).code(), "backend_unavailable");
    // A retailer set to Gemini on a server without a Gemini key.
    let error = service
        .render(room_photo(), product(), PLACEMENT, BackendChoice::Gemini)
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(error).code(), "backend_unavailable");
}

#[tokio::test]
async fn a_person_never_reaches_the_provider() {
    let (url, provider) = fake_provider(vec![Behaviour::Image]).await;
    let service = service(BackendChoice::OpenAi, &url, Duration::from_secs(10));
    let error = service
        .render(
            common::fixture_photo("ia__Konica_Minolta_DiMAGE_Z3.jpg"),
            product(),
            PLACEMENT,
            BackendChoice::OpenAi,
        )
        .await
        .unwrap_err();
    assert_eq!(ApiError::from(error).code(), "person_detected");
    assert_eq!(provider.seen.lock().unwrap().requests.len(), 0);
}
