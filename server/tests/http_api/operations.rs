//! Health, readiness, metrics and the OpenAPI document.

use crate::harness::*;

on_both!(operations_endpoints,);

async fn operations_endpoints(db: TestDb) {
    let api = api(db).await;
    let get = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let health = api.send(get("/healthz")).await;
    assert_eq!(
        (health.status, health.json["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let ready = api.send(get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.json["database"], api.db.storage.backend());
    let missing = api.send(get("/v2/nothing")).await;
    missing.assert_refused(StatusCode::NOT_FOUND, "not_found");
    let wrong_method = api
        .send(Request::delete("/healthz").body(Body::empty()).unwrap())
        .await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.code(), "method_not_allowed");

    // Metrics: requests by route template and status, latency histograms. No key in any label.
    api.send(api.config(&api.key, Some(SHOP))).await;
    api.send(api.config(&api.key, Some("https://evil.example")))
        .await;
    let metrics = api.send(get("/metrics")).await;
    assert_eq!(metrics.status, StatusCode::OK);
    let text = metrics.json.as_str().unwrap().to_owned();
    for expected in [
        r#"vitrine_http_requests_total{route="/v1/widget/{key}/config",method="GET",status="200"} 1"#,
        r#"vitrine_http_requests_total{route="/v1/widget/{key}/config",method="GET",status="403"} 1"#,
        r#"vitrine_http_requests_total{route="unmatched",method="GET",status="404"} 1"#,
        r#"vitrine_refusals_total{reason="origin_not_allowed"} 1"#,
        r#"vitrine_http_request_duration_seconds_count{route="/v1/widget/{key}/config",method="GET"} 2"#,
    ] {
        assert!(text.contains(expected), "{expected} not in\n{text}");
    }
    assert!(!text.contains(&api.key), "a key in a metric label");

    // The OpenAPI document describes the widget endpoints from their types.
    let doc = api.send(get("/openapi.json")).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.json["paths"].as_object().unwrap();
    for path in [
        "/v1/widget/{key}/config",
        "/v1/widget/{key}/device-renders",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    let render = &doc.json["paths"]["/v1/widget/{key}/device-renders"]["post"];
    assert!(render["responses"]["429"].is_object());
    let parameters = render["parameters"].as_array().unwrap();
    assert!(
        parameters.iter().any(|p| p["name"] == "key"
            && p["in"] == "path"
            && p["required"] == true
            && p["description"].as_str().is_some_and(|d| d.contains("pk_"))),
        "the publishable key is a documented path parameter: {parameters:?}"
    );
    // The gate's answers and a re-checked upload's, each written once in the handlers' docs.
    let share = &doc.json["paths"]["/v1/widget/{key}/gallery"]["post"]["responses"];
    for (responses, status, code) in [
        (&render["responses"], "401", "`unknown_key`"),
        (&render["responses"], "403", "`origin_not_allowed`"),
        (share, "401", "`unknown_key`"),
        (share, "404", "`unknown_product`"),
        (share, "503", "`person_check_unavailable`"),
    ] {
        let described = responses[status]["description"].as_str().unwrap_or("");
        assert!(described.contains(code), "{status}: {described:?}");
        assert!(
            responses[status]["content"]["application/json"]["schema"]["$ref"]
                .as_str()
                .is_some_and(|r| r.ends_with("/ErrorBody")),
            "{status} answers with an ErrorBody"
        );
    }
    let schemas = doc.json["components"]["schemas"].as_object().unwrap();
    for schema in [
        "ErrorBody",
        "DeviceRenderRequest",
        "RenderAllowance",
        "WidgetConfig",
    ] {
        assert!(schemas.contains_key(schema), "{schema}");
    }
    assert_eq!(
        schemas["DeviceRenderRequest"]["required"],
        json!(["product"])
    );

    // Not ready once the database is gone.
    api.db.storage.close().await;
    let ready = api.send(get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    let refused = api.send(api.config(&api.key, Some(SHOP))).await;
    refused.assert_refused(StatusCode::SERVICE_UNAVAILABLE, "storage_unavailable");
}
