//! The attacks of the module doc, each tried against the parser and the matcher.

#![allow(clippy::unwrap_used)]
use proptest::prelude::*;

use super::*;

fn list(entries: &[&str]) -> Vec<AllowedOrigin> {
    entries
        .iter()
        .map(|e| AllowedOrigin::parse(e).unwrap())
        .collect()
}

#[test]
fn entries_are_normalised() {
    for (input, expected) in [
        ("https://shop.example", "https://shop.example"),
        ("HTTPS://Shop.EXAMPLE", "https://shop.example"),
        ("https://shop.example:443", "https://shop.example"),
        ("http://shop.example:80", "http://shop.example"),
        ("http://shop.example:443", "http://shop.example:443"),
        ("https://shop.example:8443/", "https://shop.example:8443"),
        ("https://127.0.0.1:8788", "https://127.0.0.1:8788"),
        ("http://[::1]:8080", "http://[::1]:8080"),
        ("http://[0:0::1]", "http://[::1]"),
        ("https://*.Shop.Example", "https://*.shop.example"),
        ("https://*.shop.example:443", "https://*.shop.example"),
        ("https://*.shop.example:8443", "https://*.shop.example:8443"),
        (
            "  https://xn--bcher-kva.example  ",
            "https://xn--bcher-kva.example",
        ),
    ] {
        assert_eq!(
            AllowedOrigin::parse(input).unwrap().to_string(),
            expected,
            "{input}"
        );
    }
}

#[test]
fn malformed_entries_are_refused_with_a_reason() {
    use OriginError as E;
    type Check = fn(&OriginError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("null", |e| matches!(e, E::Null)),
        ("shop.example", |e| matches!(e, E::Scheme(_))),
        ("ftp://shop.example", |e| matches!(e, E::Scheme(_))),
        ("https://shop.example/path", |e| matches!(e, E::Path(_))),
        ("https://shop.example?q", |e| matches!(e, E::Path(_))),
        ("https://shop.example#f", |e| matches!(e, E::Path(_))),
        ("https://user:pw@shop.example", |e| {
            matches!(e, E::UserInfo(_))
        }),
        ("https://bücher.example", |e| matches!(e, E::NonAscii(_))),
        ("https://shop.example:0", |e| matches!(e, E::Port(_))),
        ("https://shop.example:65536", |e| matches!(e, E::Port(_))),
        ("https://shop.example:+80", |e| matches!(e, E::Port(_))),
        ("https://shop.example:", |e| matches!(e, E::Port(_))),
        ("https://shop..example", |e| matches!(e, E::Host(..))),
        ("https://shop.example.", |e| matches!(e, E::Host(..))),
        ("https://-shop.example", |e| matches!(e, E::Host(..))),
        ("https://shop_x.example", |e| matches!(e, E::Host(..))),
        ("https://", |e| matches!(e, E::Scheme(_))),
        ("https://:443", |e| matches!(e, E::Host(..))),
        ("https://127.1", |e| matches!(e, E::Host(..))),
        ("https://1.2.3.4.5", |e| matches!(e, E::Host(..))),
        ("https://[::1", |e| matches!(e, E::Host(..))),
        ("https://*.example", |e| matches!(e, E::Wildcard(_))),
        ("https://*", |e| matches!(e, E::Wildcard(_))),
        ("https://a.*.shop.example", |e| matches!(e, E::Wildcard(_))),
        ("https://*shop.example", |e| matches!(e, E::Wildcard(_))),
        ("https://*.1.2.3.4", |e| matches!(e, E::Wildcard(_))),
    ];
    for (input, check) in cases {
        let err = AllowedOrigin::parse(input).unwrap_err();
        assert!(check(&err), "{input}: {err:?}");
    }
    assert_eq!(
        AllowedOrigin::parse("https://bücher.example")
            .unwrap_err()
            .to_string(),
        "`https://bücher.example`: non-ASCII host; write internationalised names in their `xn--` (punycode) form"
    );
}

#[test]
fn exact_entries_match_only_their_origin() {
    let l = list(&["https://shop.example", "http://127.0.0.1:8788"]);
    assert!(is_allowed(&l, "https://shop.example"));
    assert!(is_allowed(&l, "https://shop.example:443"));
    assert!(is_allowed(&l, "HTTPS://SHOP.example"));
    assert!(is_allowed(&l, "http://127.0.0.1:8788"));
    for bad in [
        "http://shop.example",
        "https://shop.example:8443",
        "https://www.shop.example",
        "https://evilshop.example",
        "https://shop.example.evil.com",
        "https://shop.exampl",
        "https://shop.example/",
        "http://127.0.0.1",
        "null",
        "",
        "https://shop.example@evil.com",
        "https://evil.com#shop.example",
    ] {
        assert!(!is_allowed(&l, bad), "{bad}");
    }
}

#[test]
fn subdomain_entries_match_subdomains_only() {
    let l = list(&["https://*.shop.example"]);
    assert!(is_allowed(&l, "https://a.shop.example"));
    assert!(is_allowed(&l, "https://a.b.shop.example"));
    assert!(is_allowed(&l, "https://A.Shop.Example:443"));
    for bad in [
        "https://shop.example",
        "https://evilshop.example",
        "https://a.evilshop.example",
        "https://shop.example.evil.com",
        "https://a.shop.example.evil.com",
        "http://a.shop.example",
        "https://a.shop.example:8443",
        "https://.shop.example",
        "https://*.shop.example",
        "null",
    ] {
        assert!(!is_allowed(&l, bad), "{bad}");
    }
}

#[test]
fn an_empty_list_allows_nothing() {
    assert!(!is_allowed(&[], "https://shop.example"));
}

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?"
}

fn host() -> impl Strategy<Value = String> {
    proptest::collection::vec(label(), 2..5)
        .prop_map(|ls| ls.join("."))
        .prop_filter("not numeric", |h| !looks_numeric(h))
}

proptest! {
    #[test]
    fn random_hosts_never_match_a_list_they_are_not_in(
        allowed in proptest::collection::vec(host(), 1..4),
        candidate in host(),
    ) {
        prop_assume!(!allowed.contains(&candidate));
        let l: Vec<_> = allowed.iter().map(|h| AllowedOrigin::parse(&format!("https://{h}")).unwrap()).collect();
        let candidate = format!("https://{candidate}");
        let first = format!("https://{}", allowed[0]);
        prop_assert!(!is_allowed(&l, &candidate));
        prop_assert!(is_allowed(&l, &first));
    }

    #[test]
    fn suffix_attacks_are_rejected(base in host(), prefix in label(), attacker in host()) {
        prop_assume!(attacker != base && !attacker.ends_with(&format!(".{base}")));
        let exact = list(&[&format!("https://{base}")]);
        let wild = list(&[&format!("https://*.{base}")]);
        // Glued to the front of the name without a dot: `evilshop.example`.
        let glued = format!("https://{prefix}{base}");
        prop_assert!(!is_allowed(&exact, &glued));
        prop_assert!(!is_allowed(&wild, &glued));
        // The allowed name as a subdomain of the attacker's: `shop.example.evil.com`.
        let appended = format!("https://{base}.{attacker}");
        prop_assert!(!is_allowed(&exact, &appended));
        prop_assert!(!is_allowed(&wild, &appended));
        let appended_sub = format!("https://{prefix}.{base}.{attacker}");
        prop_assert!(!is_allowed(&wild, &appended_sub));
        // A real subdomain passes the wildcard only.
        let sub = format!("https://{prefix}.{base}");
        prop_assert!(is_allowed(&wild, &sub));
        prop_assert!(!is_allowed(&exact, &sub));
        let bare = format!("https://{base}");
        prop_assert!(!is_allowed(&wild, &bare));
    }

    #[test]
    fn parsing_arbitrary_headers_never_panics(s in "\\PC{0,60}") {
        let _ = Origin::parse(&s);
        let _ = AllowedOrigin::parse(&s);
    }

    #[test]
    fn normalised_entries_reparse_to_themselves(h in host(), port in proptest::option::of(1u16..)) {
        let s = match port { Some(p) => format!("https://{h}:{p}"), None => format!("https://{h}") };
        let e = AllowedOrigin::parse(&s).unwrap();
        prop_assert_eq!(AllowedOrigin::parse(&e.to_string()).unwrap(), e);
    }
}
