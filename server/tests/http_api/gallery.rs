//! Shared renders: re-checked, pending until approved, withdrawable.

use crate::harness::*;

on_both!(shared_renders_are_rechecked_pending_and_withdrawable,);

async fn shared_renders_are_rechecked_pending_and_withdrawable(db: TestDb) {
    use vitrine_server::storage::GalleryStatus;
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let share = |origin: &str, product: &str, body: Vec<u8>| {
        api.upload(
            origin,
            &format!("gallery?product={product}"),
            "image/jpeg",
            body,
        )
    };
    // A "render" straight off a camera, GPS and all: re-cleaned, labelled, stored pending.
    let photo = common::fixture_photo("ia__gps_DSCN0010.jpg");
    let answer = api.send(share(SHOP, "OAK-190", photo.clone())).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json);
    assert_eq!(answer.json["status"], "pending");
    let path = answer.json["withdraw_path"].as_str().unwrap().to_owned();
    let token = path.strip_prefix("/v1/gallery/withdraw/").unwrap();
    assert_eq!(token.len(), 43);
    let items = api
        .db
        .storage
        .gallery_items(api.retailer, None)
        .await
        .unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].status, GalleryStatus::Pending);
    let tags = exiftool_tags(&items[0].render);
    assert!(
        tags.contains("compositeWithTrainedAlgorithmicMedia"),
        "{tags}"
    );
    assert!(!tags.contains("GPS") && !tags.contains("NIKON"), "{tags}");
    // The token is not stored: no column holds it.
    assert!(
        !items[0]
            .render
            .windows(token.len())
            .any(|w| w == token.as_bytes())
    );

    // Refusals store nothing: a person, another origin, an unknown product, not an image.
    let person = common::fixture_photo("ia__xmp_no_exif.jpg");
    let answer = api.send(share(SHOP, "OAK-190", person)).await;
    answer.assert_refused(StatusCode::UNPROCESSABLE_ENTITY, "person_detected");
    let answer = api
        .send(share("https://evil.example", "OAK-190", photo.clone()))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = api.send(share(SHOP, "NOPE", photo.clone())).await;
    assert_eq!(answer.code(), "unknown_product");
    let answer = api
        .send(share(SHOP, "OAK-190", b"not an image".to_vec()))
        .await;
    assert_eq!(answer.code(), "unsupported_format");
    assert_eq!(
        api.db
            .storage
            .gallery_items(api.retailer, None)
            .await
            .unwrap()
            .len(),
        1
    );

    // The withdrawal link: no key, no origin; deletes at once; a second use finds nothing.
    let open = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let (status, headers, body) = api.send_raw(open(&path)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&body).contains("has been removed"));
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    assert!(
        api.db
            .storage
            .gallery_items(api.retailer, None)
            .await
            .unwrap()
            .is_empty()
    );
    let (status, _, _) = api.send_raw(open(&path)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for bad in [
        "/v1/gallery/withdraw/short",
        "/v1/gallery/withdraw/%27%20OR%201%3D1",
    ] {
        let (status, _, _) = api.send_raw(open(bad)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{bad}");
    }
}
