//! Origin allowlists: which web pages may call the widget endpoints with a retailer's key.
//!
//! A publishable key is public (it sits in the shop's HTML), so the `Origin` header is what stops
//! another site from spending a retailer's quota or embedding its widget. The threats this module
//! defends against are all variations of "a string that looks like the allowed origin":
//!
//! - suffix and prefix attacks: `evilshop.example`, `shop.example.evil.com` must not pass for
//!   `shop.example` or `*.shop.example` — matching is on whole DNS labels, never on substrings;
//! - case and default-port tricks: `HTTPS://Shop.Example:443` is the same origin as
//!   `https://shop.example`, so both sides are normalised before comparison;
//! - opaque origins: `null` (sandboxed iframes, `file:`, some redirects) is never allowed — it is
//!   shared by every sandboxed document on the web;
//! - confusables: non-ASCII hosts are refused (write IDNs in their `xn--` form), so no Unicode
//!   look-alike can be normalised into an allowed name;
//! - anything that is not exactly `scheme://host[:port]` (paths, queries, user info) is malformed,
//!   and malformed never matches.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Why an allowlist entry or an `Origin` header was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OriginError {
    /// The `null` origin.
    #[error("`null` is the opaque origin of sandboxed documents and is never allowed")]
    Null,
    /// No `://`, or a scheme other than http/https.
    #[error("`{0}`: an origin starts with `http://` or `https://`")]
    Scheme(String),
    /// A path, query or fragment after the host.
    #[error("`{0}`: an origin has no path, query or fragment (just `scheme://host[:port]`)")]
    Path(String),
    /// `user@host`.
    #[error("`{0}`: an origin has no user name or password")]
    UserInfo(String),
    /// A non-ASCII character.
    #[error("`{0}`: non-ASCII host; write internationalised names in their `xn--` (punycode) form")]
    NonAscii(String),
    /// An invalid host name or IP literal.
    #[error("`{0}`: `{1}` is not a valid host name or IP address")]
    Host(String, String),
    /// An invalid port.
    #[error("`{0}`: the port must be a number from 1 to 65535")]
    Port(String),
    /// A wildcard anywhere but a leading `*.` before a name of at least two labels.
    #[error(
        "`{0}`: the only wildcard form is `scheme://*.name.tld[:port]` (subdomains of a name with at least two labels)"
    )]
    Wildcard(String),
}

/// The scheme of an origin: the widget is only ever embedded by web pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http` (default port 80): development and intranet shops.
    Http,
    /// `https` (default port 443).
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A normalised tuple origin: lowercase, default port dropped (`None`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    scheme: Scheme,
    /// Lowercase DNS name, dotted IPv4, or bracketed IPv6 in canonical form.
    host: String,
    port: Option<u16>,
}

impl Origin {
    /// Parses an `Origin` request header. Strict: exactly `scheme://host[:port]`, as browsers
    /// send it (no trailing slash).
    pub fn parse(header: &str) -> Result<Self, OriginError> {
        parse_origin(header)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// One entry of a retailer's allowlist.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AllowedOrigin {
    /// Exactly this origin.
    Exact(Origin),
    /// `scheme://*.suffix[:port]`: any host with at least one label before `.suffix`, but not
    /// `suffix` itself (list it separately if wanted: the wildcard must be explicit).
    Subdomains {
        /// Scheme to match.
        scheme: Scheme,
        /// Lowercase DNS name of at least two labels, without the leading `*.`.
        suffix: String,
        /// Port to match (`None`: the scheme's default).
        port: Option<u16>,
    },
}

impl AllowedOrigin {
    /// Parses and normalises an allowlist entry, e.g. `https://Shop.Example:443/` →
    /// `https://shop.example`, or `https://*.shop.example`. A single trailing `/` is tolerated
    /// (people paste URLs); anything else after the host is refused.
    pub fn parse(entry: &str) -> Result<Self, OriginError> {
        let trimmed = entry.trim();
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        let (scheme, rest) = split_scheme(trimmed)?;
        if let Some(after) = rest.strip_prefix("*.") {
            let (host, port) = split_port(trimmed, after, scheme)?;
            let suffix = host.to_ascii_lowercase();
            if !is_dns_name(&suffix) || !suffix.contains('.') || looks_numeric(&suffix) {
                return Err(OriginError::Wildcard(entry.to_owned()));
            }
            return Ok(AllowedOrigin::Subdomains {
                scheme,
                suffix,
                port,
            });
        }
        if trimmed.contains('*') {
            return Err(OriginError::Wildcard(entry.to_owned()));
        }
        parse_origin(trimmed).map(AllowedOrigin::Exact)
    }

    /// Whether a parsed request origin is allowed by this entry.
    pub fn allows(&self, origin: &Origin) -> bool {
        match self {
            AllowedOrigin::Exact(o) => o == origin,
            AllowedOrigin::Subdomains {
                scheme,
                suffix,
                port,
            } => {
                *scheme == origin.scheme
                    && *port == origin.port
                    && origin.host.len() > suffix.len() + 1
                    && origin.host.ends_with(suffix.as_str())
                    && origin.host.as_bytes()[origin.host.len() - suffix.len() - 1] == b'.'
                    // An IP literal is never a subdomain (`1.2.shop.example` can't be an IPv4,
                    // but keep the rule explicit).
                    && !origin.host.starts_with('[')
            }
        }
    }
}

impl fmt::Display for AllowedOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowedOrigin::Exact(o) => o.fmt(f),
            AllowedOrigin::Subdomains {
                scheme,
                suffix,
                port,
            } => {
                write!(f, "{}://*.{suffix}", scheme.as_str())?;
                if let Some(port) = port {
                    write!(f, ":{port}")?;
                }
                Ok(())
            }
        }
    }
}

/// Whether the raw `Origin` header is allowed by `list`. `null`, malformed or absent origins never
/// match.
pub fn is_allowed(list: &[AllowedOrigin], header: &str) -> bool {
    match Origin::parse(header) {
        Ok(origin) => list.iter().any(|entry| entry.allows(&origin)),
        Err(_) => false,
    }
}

fn split_scheme(s: &str) -> Result<(Scheme, &str), OriginError> {
    if s.eq_ignore_ascii_case("null") {
        return Err(OriginError::Null);
    }
    if !s.is_ascii() {
        return Err(OriginError::NonAscii(s.to_owned()));
    }
    let (scheme, rest) = s
        .split_once("://")
        .ok_or_else(|| OriginError::Scheme(s.to_owned()))?;
    let scheme = if scheme.eq_ignore_ascii_case("https") {
        Scheme::Https
    } else if scheme.eq_ignore_ascii_case("http") {
        Scheme::Http
    } else {
        return Err(OriginError::Scheme(s.to_owned()));
    };
    if rest.contains(['/', '?', '#', '\\']) {
        return Err(OriginError::Path(s.to_owned()));
    }
    if rest.contains('@') {
        return Err(OriginError::UserInfo(s.to_owned()));
    }
    Ok((scheme, rest))
}

/// Splits `host[:port]` (with `[v6]` brackets), dropping the scheme's default port.
fn split_port<'a>(
    whole: &str,
    authority: &'a str,
    scheme: Scheme,
) -> Result<(&'a str, Option<u16>), OriginError> {
    let (host, port) = if authority.starts_with('[') {
        match authority.find(']') {
            Some(end) => {
                let (h, tail) = authority.split_at(end + 1);
                match tail {
                    "" => (h, None),
                    _ => (h, Some(tail.strip_prefix(':').unwrap_or(tail))),
                }
            }
            None => return Err(OriginError::Host(whole.to_owned(), authority.to_owned())),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) => {
            // `u16::from_str` accepts a leading `+`; an origin's port is digits only.
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(OriginError::Port(whole.to_owned()));
            }
            let n: u16 = p.parse().map_err(|_| OriginError::Port(whole.to_owned()))?;
            if n == 0 {
                return Err(OriginError::Port(whole.to_owned()));
            }
            (n != scheme.default_port()).then_some(n)
        }
    };
    Ok((host, port))
}

fn parse_origin(s: &str) -> Result<Origin, OriginError> {
    let (scheme, rest) = split_scheme(s)?;
    if rest.contains('*') {
        return Err(OriginError::Wildcard(s.to_owned()));
    }
    let (host, port) = split_port(s, rest, scheme)?;
    let host =
        normalise_host(host).ok_or_else(|| OriginError::Host(s.to_owned(), host.to_owned()))?;
    Ok(Origin { scheme, host, port })
}

fn normalise_host(host: &str) -> Option<String> {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        let v6: Ipv6Addr = inner.parse().ok()?;
        return Some(format!("[{v6}]"));
    }
    let lower = host.to_ascii_lowercase();
    if is_ipv4(&lower) {
        // Only the canonical dotted-quad form: `127.1` or `0x7f.0.0.1` are refused, not guessed.
        let v4: Ipv4Addr = lower.parse().ok()?;
        return (v4.to_string() == lower).then_some(lower);
    }
    if looks_numeric(&lower) {
        return None;
    }
    is_dns_name(&lower).then_some(lower)
}

/// All labels digits: an IPv4 literal, or an attempt at one.
fn is_ipv4(host: &str) -> bool {
    host.split('.').count() == 4
        && host
            .split('.')
            .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_digit()))
}

/// The last label numeric (`1.2.3`, `example.123`): WHATWG URL parsers read such hosts as IPv4,
/// so they are refused rather than interpreted differently from a browser.
fn looks_numeric(host: &str) -> bool {
    host.rsplit('.').next().is_some_and(|l| {
        !l.is_empty() && (l.bytes().all(|b| b.is_ascii_digit()) || l.starts_with("0x"))
    })
}

/// A lowercase ASCII DNS name: labels of 1–63 `[a-z0-9-]` not starting or ending with `-`,
/// 253 characters at most, no empty label (so no trailing dot).
fn is_dns_name(host: &str) -> bool {
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

#[cfg(test)]
mod tests;
