//! Renders on the server: the photo cleaned and labelled, each refusal's code, the order of the checks, no person check no render.

use crate::harness::*;

on_both!(
    renders_a_room_photo_clean_and_labelled,
    render_refusals_have_their_own_codes,
    render_checks_come_in_order,
    render_refused_when_the_person_check_is_missing,
);

async fn renders_a_room_photo_clean_and_labelled(db: TestDb) {
    let api = api(db).await;
    api.add_product("OAK-190").await;
    // A real camera photo carrying GPS position, make, model and a thumbnail.
    let photo = common::fixture_photo("ia__gps_DSCN0010.jpg");
    assert!(exiftool_tags(&photo).contains("GPSLatitude"));
    let (status, headers, body) = api
        .send_raw(api.photo_render(
            SHOP,
            "product=OAK-190&corners=0.1,0.55,0.9,0.55,1.1,1,-0.1,1&size=3x3",
            photo.clone(),
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], SHOP);
    assert_eq!(headers["vitrine-renders-left-this-hour"], "9");
    assert_eq!(headers["vitrine-renders-left-today"], "19");
    let exposed = headers[header::ACCESS_CONTROL_EXPOSE_HEADERS]
        .to_str()
        .unwrap();
    assert!(
        exposed.contains("vitrine-renders-left-this-hour"),
        "{exposed}"
    );

    // exiftool, an independent reader: the AI label and nothing from the photo.
    let tags = exiftool_tags(&body);
    assert!(
        tags.contains(
            "[XMP-iptcExt]   DigitalSourceType               : http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
        ),
        "{tags}"
    );
    for group in [
        "[GPS]",
        "[IFD0]",
        "[ExifIFD]",
        "[IFD1]",
        "[MakerNotes",
        "[ICC",
        "[IPTC]",
        "[Photoshop]",
    ] {
        assert!(!tags.contains(group), "{group} survived:\n{tags}");
    }
    let xmp_tags: Vec<&str> = tags.lines().filter(|l| l.starts_with("[XMP")).collect();
    assert_eq!(
        xmp_tags.len(),
        1,
        "only the digital source type: {xmp_tags:?}"
    );
    // Our own parser agrees: besides our encoder's bare JFIF header, one carrier, our XMP.
    let inspection = vitrine_core::photo::inspect(&body, &Default::default()).unwrap();
    let kinds: Vec<_> = inspection
        .report
        .carriers
        .iter()
        .map(|c| c.kind)
        .filter(|k| *k != vitrine_core::photo::CarrierKind::Jfif)
        .collect();
    assert_eq!(
        kinds,
        vec![vitrine_core::photo::CarrierKind::Xmp],
        "{inspection:?}"
    );
    assert_eq!(
        vitrine_core::ai_label::stated_source_type(&body),
        Some("http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia")
    );

    // The render is the photo with the floor changed: the top is the photo's, the bottom is not.
    let original = image::load_from_memory(&photo).unwrap().to_rgb8();
    let rendered = image::load_from_memory(&body).unwrap().to_rgb8();
    assert_eq!(rendered.dimensions(), original.dimensions());
    let mean_difference = |y0: u32, y1: u32| {
        let mut total = 0u64;
        let mut count = 0u64;
        for y in y0..y1 {
            for x in 0..original.width() {
                for c in 0..3 {
                    total += u64::from(
                        original.get_pixel(x, y)[c].abs_diff(rendered.get_pixel(x, y)[c]),
                    );
                    count += 1;
                }
            }
        }
        total as f64 / count as f64
    };
    let h = original.height();
    let top = mean_difference(0, h * 2 / 5);
    let bottom = mean_difference(h * 7 / 10, h);
    assert!(
        top < 3.0,
        "the room above the floor is untouched (JPEG noise only): {top}"
    );
    assert!(bottom > 20.0, "the floor is the product's: {bottom}");
}

async fn render_refusals_have_their_own_codes(db: TestDb) {
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let room = common::fixture_photo("ia__gps_DSCN0010.jpg");
    let person = common::fixture_photo("ia__Konica_Minolta_DiMAGE_Z3.jpg");
    let mut truncated = room.clone();
    truncated.truncate(room.len() / 3);
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec();
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "product=OAK-190",
            person,
            StatusCode::UNPROCESSABLE_ENTITY,
            "person_detected",
        ),
        (
            "product=NOPE",
            room.clone(),
            StatusCode::NOT_FOUND,
            "unknown_product",
        ),
        (
            "product=OAK-190",
            gif,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_format",
        ),
        (
            "product=OAK-190",
            truncated,
            StatusCode::UNPROCESSABLE_ENTITY,
            "truncated",
        ),
        (
            "product=OAK-190",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
        ),
        (
            "product=OAK-190&corners=0,0,1",
            room.clone(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        // Corners that cross (a bow tie): refused before any rendering.
        (
            "product=OAK-190&corners=0,0.5,1,1,1,0.5,0,1",
            room.clone(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "product=OAK-190&size=0x4",
            room.clone(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            "product=OAK-190&colour=red",
            room.clone(),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
    ];
    for (query, photo, status, code) in cases {
        let answer = api.send(api.photo_render(SHOP, query, photo)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{query}: {}",
            answer.json
        );
        assert_eq!(
            answer.allow_origin(),
            Some(SHOP),
            "{query}: the widget can read it"
        );
    }
    // A decompression bomb: a tiny PNG declaring 30000×30000 pixels is refused from its header.
    let mut bomb = Vec::new();
    image::RgbImage::new(1, 1)
        .write_to(
            &mut std::io::Cursor::new(&mut bomb),
            image::ImageFormat::Png,
        )
        .unwrap();
    bomb[16..20].copy_from_slice(&30_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&30_000u32.to_be_bytes());
    let crc = crc32fast::hash(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let answer = api
        .send(api.photo_render(SHOP, "product=OAK-190", bomb))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_many_pixels"),
        "{}",
        answer.json
    );
}

async fn render_checks_come_in_order(db: TestDb) {
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let oversized = vec![0u8; MAX_BODY + 1];
    // A stranger's oversized upload meets the gate first: 403, not 413.
    let answer = api
        .send(api.photo_render("https://evil.example", "product=OAK-190", oversized.clone()))
        .await;
    assert_eq!(answer.code(), "origin_not_allowed");
    // An allowed caller's oversized upload: 413, counted against the allowance.
    let answer = api
        .send(api.photo_render(SHOP, "product=OAK-190", oversized.clone()))
        .await;
    answer.assert_refused(StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    assert_eq!(answer.json["error"]["limit_bytes"], MAX_BODY);
    // Renders share the allowance with device renders: use it up, then the limit answers first,
    // before the body is looked at.
    api.db
        .storage
        .set_limits(api.retailer, Limits::new(3, 20))
        .await
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            api.send(api.render(SHOP, None)).await.status,
            StatusCode::CREATED
        );
    }
    let answer = api
        .send(api.photo_render(SHOP, "product=OAK-190", oversized))
        .await;
    answer.assert_refused(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(answer.headers.contains_key(header::RETRY_AFTER));
}

async fn render_refused_when_the_person_check_is_missing(db: TestDb) {
    let empty = tempfile::tempdir().unwrap();
    let gate = PersonGate::load(empty.path());
    assert!(!gate.is_ready());
    let api = api_with(db, gate).await;
    api.add_product("OAK-190").await;
    let answer = api
        .send(api.photo_render(
            SHOP,
            "product=OAK-190",
            common::fixture_photo("ia__gps_DSCN0010.jpg"),
        ))
        .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "person_check_unavailable"),
        "a photo that cannot be checked is refused, never waved through"
    );
}
