//! The peer of the server benchmark (`cargo xtask bench-server`): the same routes and the same
//! JSON answers as `POST /v1/widget/{key}/device-renders` and `POST /v1/widget/{key}/events`, from
//! bare axum handlers on the same runtime — no key, origin or rate-limit check, no parsing, no
//! database, no middleware. What the real endpoints cost beyond this is what our checks cost.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::routing::post;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address: SocketAddr = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8799)));
    let app = Router::new()
        .route(
            "/v1/widget/{key}/events",
            post(|_body: Bytes| async {
                (
                    StatusCode::ACCEPTED,
                    Json(serde_json::json!({
                        "stored": 10,
                        "deleted_personal_data": 0,
                        "dropped_out_of_time": 0,
                    })),
                )
            }),
        )
        .route(
            "/v1/widget/{key}/device-renders",
            post(|_body: Bytes| async {
                (
                    StatusCode::CREATED,
                    Json(serde_json::json!({
                        "renders_left_this_hour": 9,
                        "renders_left_today": 19,
                    })),
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind(address).await?;
    eprintln!("bare handler listening on {address}");
    axum::serve(listener, app).await
}
