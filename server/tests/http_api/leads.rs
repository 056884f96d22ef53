//! Leads: the email and an explicit opt-in.

use crate::harness::*;

on_both!(leads_store_the_email_and_an_explicit_opt_in,);

async fn leads_store_the_email_and_an_explicit_opt_in(db: TestDb) {
    use base64::Engine as _;
    let api = api(db).await;
    api.add_product("OAK-190").await;
    let render = base64::engine::general_purpose::STANDARD
        .encode(common::fixture_photo("ia__gps_DSCN0010.jpg"));
    let lead = |body: Value| {
        api.upload(
            SHOP,
            "leads",
            "application/json",
            body.to_string().into_bytes(),
        )
    };
    // No opt-in given: stored as no.
    let answer = api
        .send(lead(
            json!({"email": "Shopper@Example.COM", "product": "OAK-190", "render": render}),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.json);
    assert_eq!(answer.json["marketing_opt_in"], false);
    let answer = api
        .send(lead(
            json!({"email": "two@example.com", "product": "OAK-190",
                          "marketing_opt_in": true, "render": render}),
        ))
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let leads = api.db.storage.leads(api.retailer).await.unwrap();
    assert_eq!(
        leads
            .iter()
            .map(|l| (l.email.as_str(), l.product.as_str(), l.marketing_opt_in))
            .collect::<Vec<_>>(),
        [
            ("two@example.com", "OAK-190", true),
            ("Shopper@example.com", "OAK-190", false)
        ]
    );
    let tags = exiftool_tags(&leads[0].render);
    assert!(
        tags.contains("DigitalSourceType") && !tags.contains("GPS"),
        "{tags}"
    );

    // Refusals store nothing, and never echo the address back.
    for (body, code) in [
        (
            json!({"email": "not an address", "product": "OAK-190", "render": render}),
            "invalid_request",
        ),
        (
            json!({"email": "a@example.com", "product": "OAK-190", "render": "%%%"}),
            "invalid_request",
        ),
        (
            json!({"email": "a@example.com", "product": "NOPE", "render": render}),
            "unknown_product",
        ),
        (
            json!({"email": "a@example.com", "product": "OAK-190", "render": render, "phone": "1"}),
            "invalid_request",
        ),
    ] {
        let answer = api.send(lead(body)).await;
        assert_eq!(answer.code(), code, "{}", answer.json);
        assert!(
            !answer.json.to_string().contains("a@example.com"),
            "{}",
            answer.json
        );
    }
    assert_eq!(api.db.storage.leads(api.retailer).await.unwrap().len(), 2);
}
