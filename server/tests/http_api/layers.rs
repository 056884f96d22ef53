//! What every request passes: body limits, the timeout, no cookies in or out.

use crate::harness::*;

on_both!(
    bodies_are_limited_and_checked,
    slow_requests_time_out,
    no_cookies_in_or_out,
);

async fn bodies_are_limited_and_checked(db: TestDb) {
    let api = api(db).await;
    let post = |content_type: &str, body: Vec<u8>| {
        Request::post(format!("/v1/widget/{}/device-renders", api.key))
            .header(header::ORIGIN, SHOP)
            .header(header::CONTENT_TYPE, content_type)
            .header(header::CONTENT_LENGTH, body.len())
            .body(Body::from(body))
            .unwrap()
    };
    // Over the JSON limit (16 KiB) but under the server's (64 KiB).
    let big = format!(r#"{{"product":"{}"}}"#, "x".repeat(20_000)).into_bytes();
    let answer = api.send(post("application/json", big)).await;
    answer.assert_refused(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    assert_eq!(answer.json["error"]["limit_bytes"], 16 * 1024);
    assert_eq!(
        answer.allow_origin(),
        Some(SHOP),
        "the widget can read the 413"
    );
    // Over the server's limit: refused from Content-Length, before the body is read.
    let huge = vec![b' '; MAX_BODY + 1];
    let answer = api.send(post("application/json", huge)).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.json["error"]["limit_bytes"], MAX_BODY);
    // Malformed bodies.
    for (content_type, body, status, code) in [
        (
            "text/plain",
            r#"{"product":"A"}"#,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "application/json",
            "{",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "application/json",
            r#"{"product":""}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "application/json",
            r#"{"product":"A\u0000"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "application/json",
            r#"{"product":"A","email":"a@b.example"}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "application/json",
            r#"{"product":7}"#,
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ] {
        let answer = api.send(post(content_type, body.as_bytes().to_vec())).await;
        assert_eq!((answer.status, answer.code()), (status, code), "{body}");
    }
    // None of the refused bodies counted against the visitor.
    let answer = api.send(api.render(SHOP, None)).await;
    assert_eq!(answer.json["renders_left_this_hour"], 9);
}

async fn slow_requests_time_out(db: TestDb) {
    let api = api(db).await;
    // A body that sends one byte and then stalls.
    let stalled = stream::iter([Ok::<_, std::io::Error>(b"{".to_vec())]).chain(stream::pending());
    let request = Request::post(format!("/v1/widget/{}/device-renders", api.key))
        .header(header::ORIGIN, SHOP)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stalled))
        .unwrap();
    let started = std::time::Instant::now();
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(answer.code(), "request_timeout");
    assert!(started.elapsed() < Duration::from_secs(10));
}

async fn no_cookies_in_or_out(db: TestDb) {
    let api = api(db).await;
    let request = Request::get(format!("/v1/widget/{}/config", api.key))
        .header(header::ORIGIN, SHOP)
        .header(header::COOKIE, "session=abc; _ga=GA1.1.1")
        .body(Body::empty())
        .unwrap();
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.headers.get(header::SET_COOKIE).is_none());
    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json", "/nope"] {
        let answer = api
            .send(Request::get(path).body(Body::empty()).unwrap())
            .await;
        assert!(answer.headers.get(header::SET_COOKIE).is_none(), "{path}");
    }
}
