//! The bodies of the server's fuzz targets: the hand-written parsers of request headers that come
//! from anyone (`Origin`, `X-Forwarded-For`, the key in the path) and of the render request's
//! placement (`corners`, `size` in the query). Shared, via `#[path]`, by the
//! fuzz binaries and by `server/tests/fuzz_corpus_replay.rs`, which replays the corpora on stable.
//! Besides "never panics", each checks a property.

#![allow(dead_code)]

use std::net::IpAddr;

use vitrine_server::client_address::{TrustedProxies, client_address};
use vitrine_server::keys::{PublishableKey, SecretKey};
use vitrine_server::origins::{AllowedOrigin, Origin, is_allowed};

/// A fuzz target's body.
pub type Body = fn(&[u8]);

/// Each target's name (its corpus folder) and body.
pub const TARGETS: [(&str, Body); 5] = [
    ("origin_header", origin_header),
    ("forwarded_for", forwarded_for),
    ("api_keys", api_keys),
    ("render_placement", render_placement),
    ("lead_email", lead_email),
];

/// The lead's email address and the other short widget inputs (session id, withdrawal token):
/// an accepted address is at most 254 characters, has a dot in its domain, holds no whitespace or
/// control character, and is accepted again unchanged; a session id or token accepted has its
/// exact shape.
pub fn lead_email(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(email) = vitrine_server::api::leads::valid_email(&text) {
        assert!(email.chars().count() <= 254);
        assert!(!email.chars().any(|c| c.is_whitespace() || c.is_control()));
        let (_, domain) = email.rsplit_once('@').expect("an @");
        assert!(domain.contains('.'));
        assert_eq!(
            vitrine_server::api::leads::valid_email(&email)
                .ok()
                .as_deref(),
            Some(email.as_str())
        );
    }
    if vitrine_server::api::render::valid_session(Some(&text)).is_ok() {
        assert_eq!(text.len(), 32);
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
    }
    if vitrine_server::keys::is_withdrawal_token(&text) {
        assert_eq!(text.len(), 43);
    }
}

/// The render request's `corners` and `size` (split at the first newline): whatever parses has
/// finite corners within −1…2 and sizes within 0.1…100 m, and turning it into pixels and
/// validating it (what the pipeline does next) never panics.
pub fn render_placement(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (corners, size) = match text.split_once('\n') {
        Some((c, s)) => (Some(c), Some(s)),
        None => (Some(text.as_ref()), None),
    };
    for (corners, size) in [(corners, size), (corners, None), (None, size)] {
        let Ok(placement) = vitrine_server::api::render::parse_placement(corners, size) else {
            continue;
        };
        for (x, y) in placement.corners {
            assert!(x.is_finite() && y.is_finite());
            assert!((-1.0..=2.0).contains(&x) && (-1.0..=2.0).contains(&y));
        }
        assert!((0.1..=100.0).contains(&placement.width_m));
        assert!((0.1..=100.0).contains(&placement.depth_m));
        let _ = placement.in_pixels(2048, 1536).validate();
        let _ = placement.in_pixels(1, 1).validate();
    }
}

/// `Origin` and allowlist entries: a parsed origin prints to a form that parses to itself, and an
/// exact entry made from it allows it; the input as an allowlist entry never allows an origin
/// with another scheme or port.
pub fn origin_header(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (header, entry) = text.split_once('\n').unwrap_or((&text, &text));
    if let Ok(origin) = Origin::parse(header) {
        let printed = origin.to_string();
        let again = Origin::parse(&printed).expect("a printed origin parses");
        assert_eq!(again, origin, "{printed}");
        let exact = AllowedOrigin::parse(&printed).expect("a printed origin is a valid entry");
        assert!(exact.allows(&origin));
        assert!(is_allowed(&[exact], header));
    }
    if let Ok(allowed) = AllowedOrigin::parse(entry) {
        let printed = allowed.to_string();
        assert_eq!(
            AllowedOrigin::parse(&printed).ok(),
            Some(allowed.clone()),
            "{printed}"
        );
        if let Ok(origin) = Origin::parse(header)
            && allowed.allows(&origin)
        {
            let scheme = |s: &str| s.split("://").next().map(str::to_ascii_lowercase);
            assert_eq!(scheme(&printed), scheme(&origin.to_string()));
        }
    }
}

/// `X-Forwarded-For` behind trusted proxies: the client found is the peer or one of the header's
/// addresses, and never a trusted proxy unless every hop is one.
pub fn forwarded_for(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.lines();
    let peer: IpAddr = lines
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(IpAddr::from([10, 0, 0, 1]));
    let trusted_line = lines.next().unwrap_or("10.0.0.0/8");
    let Ok(trusted) = TrustedProxies::parse(trusted_line.split(',').map(str::trim)) else {
        return;
    };
    let headers: Vec<&str> = lines.collect();
    let client = client_address(peer, headers.iter().copied(), &trusted);
    let named: Vec<IpAddr> = headers
        .iter()
        .flat_map(|h| h.split(','))
        .filter_map(|e| {
            let e = e.trim();
            let e = e
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .unwrap_or(e);
            e.parse::<IpAddr>().ok().map(|ip| ip.to_canonical())
        })
        .collect();
    assert!(
        client == peer.to_canonical() || named.contains(&client),
        "{client} is neither the peer nor in the header"
    );
    if !trusted.contains(peer.to_canonical()) {
        assert_eq!(
            client,
            peer.to_canonical(),
            "an untrusted peer's header was believed"
        );
    }
}

/// Keys from a URL path or an API header: a parsed key is exactly its input, with its prefix.
pub fn api_keys(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = PublishableKey::parse(&text) {
        assert_eq!(key.as_str(), text);
        assert!(key.as_str().starts_with("pk_"));
    }
    if let Ok(key) = SecretKey::parse(&text) {
        assert_eq!(key.expose(), text);
        assert!(key.hash().verify(&key));
    }
}
