//! Products as the widget sees them: descriptions, textures, backends.

use crate::harness::*;

on_both!(products_are_described_to_the_widget,);

async fn products_are_described_to_the_widget(db: TestDb) {
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let get = |path: String, origin: &str| {
        Request::get(path)
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    let answer = api
        .send(get(
            format!("/v1/widget/{}/products/OAK-190", api.key),
            SHOP,
        ))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.json);
    assert_eq!(
        answer.json,
        json!({"sku": "OAK-190", "name": "Oak plank", "surface": "floor",
               "tile_width_mm": 1200, "tile_height_mm": 800, "renders_on_device": true})
    );
    assert_eq!(answer.allow_origin(), Some(SHOP));
    let (status, headers, body) = api
        .send_raw(get(
            format!("/v1/widget/{}/products/OAK-190/texture", api.key),
            SHOP,
        ))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(body, texture_png());
    // A hosted backend: the product is not rendered on the device.
    api.db
        .storage
        .set_render_backend(api.retailer, BackendChoice::OpenAi)
        .await
        .unwrap();
    let answer = api
        .send(get(
            format!("/v1/widget/{}/products/OAK-190", api.key),
            SHOP,
        ))
        .await;
    assert_eq!(answer.json["renders_on_device"], false);
    // Unknown, malformed, from a stranger's origin, or another retailer's: refused.
    let answer = api
        .send(get(format!("/v1/widget/{}/products/NOPE", api.key), SHOP))
        .await;
    answer.assert_refused(StatusCode::NOT_FOUND, "unknown_product");
    let long = "X".repeat(200);
    let answer = api
        .send(get(format!("/v1/widget/{}/products/{long}", api.key), SHOP))
        .await;
    answer.assert_refused(StatusCode::BAD_REQUEST, "invalid_request");
    let answer = api
        .send(get(
            format!("/v1/widget/{}/products/OAK-190/texture", api.key),
            "https://evil.example",
        ))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let (_, b_key) = api.retailer_b().await;
    let answer = api
        .send(get(
            format!("/v1/widget/{b_key}/products/OAK-190"),
            "https://b.example",
        ))
        .await;
    answer.assert_refused(StatusCode::NOT_FOUND, "unknown_product");
    // The widget's session id on a render: a random id is taken, anything else refused.
    api.db
        .storage
        .set_render_backend(api.retailer, BackendChoice::Builtin)
        .await
        .unwrap();
    for (session, status) in [
        ("0123456789abcdef0123456789abcdef", StatusCode::OK),
        ("shopper%40example.com", StatusCode::BAD_REQUEST),
        ("0123456789ABCDEF0123456789ABCDEF", StatusCode::BAD_REQUEST),
    ] {
        let (got, _, body) = api
            .send_raw(api.photo_render(
                SHOP,
                &format!("product=OAK-190&session={session}"),
                common::fixture_photo("ia__gps_DSCN0010.jpg"),
            ))
            .await;
        assert_eq!(got, status, "{session}: {}", String::from_utf8_lossy(&body));
    }
}
