//! Which network address a request comes from, for rate limiting.
//!
//! The threat: a client that writes its own `X-Forwarded-For` header to pick a fresh address for
//! every request, and so never meets a rate limit (or spends someone else's). The header is
//! therefore believed only as far as it was written by proxies we operate:
//!
//! 1. If the socket peer is not a configured trusted proxy, the peer is the client, and any
//!    `X-Forwarded-For` is ignored: anyone can write one.
//! 2. If the peer is trusted, walk `X-Forwarded-For` from right to left (each proxy appends the
//!    address it saw). The first entry that is not itself a trusted proxy is the client: everything
//!    to its left was written by the client or by proxies we don't control.
//! 3. If the walk meets a malformed entry (or runs past [`MAX_HOPS`]) it stops, and the client is
//!    the last trusted hop it reached (the peer, if the very first entry is bad). This fails
//!    closed: a broken chain makes its clients share the proxy's bucket — stricter limits — rather
//!    than letting the unparseable part, which may be attacker-written, choose an address. If
//!    every entry is a trusted proxy, the left-most one is the client, for the same reason.
//!
//! IPv4-mapped IPv6 addresses (`::ffff:192.0.2.1`, what a dual-stack socket reports for IPv4
//! clients) are normalised to IPv4, so one client cannot count twice (or match a trusted IPv4
//! proxy only sometimes).

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// At most this many `X-Forwarded-For` entries are examined: bounds the work a huge header costs.
pub const MAX_HOPS: usize = 32;

/// A configured trusted-proxy entry that is neither an IP address nor a CIDR block.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{0}` is not an IP address or CIDR block (e.g. `10.0.0.1` or `10.0.0.0/8`)")]
pub struct TrustedProxyError(pub String);

/// The proxies (addresses or CIDR blocks) whose `X-Forwarded-For` entries are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// No trusted proxy: the socket peer is always the client (the safe default).
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses entries such as `10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8` (blank entries are
    /// skipped, so `a, b,` works).
    pub fn parse<'a>(
        entries: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, TrustedProxyError> {
        let mut nets = Vec::new();
        for entry in entries {
            let entry = entry.trim();
            if entry.is_empty() {
                continue;
            }
            let net = if entry.contains('/') {
                IpNet::from_str(entry)
                    .map_err(|_| TrustedProxyError(entry.to_owned()))?
                    .trunc()
            } else {
                IpNet::from(
                    IpAddr::from_str(entry)
                        .map_err(|_| TrustedProxyError(entry.to_owned()))?
                        .to_canonical(),
                )
            };
            nets.push(net);
        }
        Ok(Self(nets))
    }

    /// Whether `ip` (normalised) is a trusted proxy.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The client's address, from the socket peer and the request's `X-Forwarded-For` header values
/// (in the order they appear; several header lines count as one comma-separated list).
pub fn client_address<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted: &TrustedProxies,
) -> IpAddr {
    let peer = peer.to_canonical();
    if !trusted.contains(peer) {
        return peer;
    }
    let entries: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|line| line.split(','))
        .collect();
    let mut client = peer;
    for entry in entries.iter().rev().take(MAX_HOPS) {
        let Some(ip) = parse_entry(entry) else {
            return client;
        };
        client = ip;
        if !trusted.contains(ip) {
            return ip;
        }
    }
    client
}

/// One `X-Forwarded-For` entry: a bare IPv4 or IPv6 address, optionally bracketed. Ports,
/// obfuscated identifiers (`unknown`, `_hidden`) and anything else are malformed.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let bare = entry
        .strip_prefix('[')
        .and_then(|e| e.strip_suffix(']'))
        .unwrap_or(entry);
    IpAddr::from_str(bare).ok().map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::net::{Ipv4Addr, Ipv6Addr};

    use proptest::prelude::*;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(s: &[&str]) -> TrustedProxies {
        TrustedProxies::parse(s.iter().copied()).unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let t = TrustedProxies::none();
        assert_eq!(client_address(ip("203.0.113.7"), [], &t), ip("203.0.113.7"));
        // A spoofed header from an untrusted peer is ignored.
        assert_eq!(
            client_address(ip("203.0.113.7"), ["1.2.3.4"], &t),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_spoof_even_when_proxies_are_configured() {
        let t = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            client_address(ip("203.0.113.7"), ["198.51.100.1, 10.0.0.5"], &t),
            ip("203.0.113.7")
        );
    }

    #[test]
    fn a_trusted_peer_yields_the_rightmost_untrusted_entry() {
        let t = proxies(&["10.0.0.0/8", "192.168.1.1"]);
        // Client wrote a fake entry on the left; our proxies appended the real one.
        assert_eq!(
            client_address(
                ip("10.0.0.2"),
                ["6.6.6.6, 198.51.100.9, 192.168.1.1, 10.1.2.3"],
                &t
            ),
            ip("198.51.100.9")
        );
        // Several header lines count as one list, in order.
        assert_eq!(
            client_address(ip("10.0.0.2"), ["6.6.6.6", "198.51.100.9", "10.1.2.3"], &t),
            ip("198.51.100.9")
        );
        // No header at all: the trusted peer is the only address we know.
        assert_eq!(client_address(ip("10.0.0.2"), [], &t), ip("10.0.0.2"));
    }

    #[test]
    fn malformed_entries_stop_the_walk_at_the_last_trusted_hop() {
        let t = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            client_address(ip("10.0.0.2"), ["6.6.6.6, garbage, 10.1.2.3"], &t),
            ip("10.1.2.3")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), ["6.6.6.6, unknown"], &t),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), ["6.6.6.6,"], &t),
            ip("10.0.0.2")
        );
        assert_eq!(
            client_address(ip("10.0.0.2"), ["198.51.100.1:443"], &t),
            ip("10.0.0.2")
        );
    }

    #[test]
    fn an_all_trusted_chain_yields_its_leftmost_entry() {
        let t = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            client_address(ip("10.0.0.2"), ["10.9.9.9, 10.1.2.3"], &t),
            ip("10.9.9.9")
        );
    }

    #[test]
    fn the_walk_is_bounded() {
        let t = proxies(&["10.0.0.0/8"]);
        let mut hops: Vec<String> = vec!["6.6.6.6".into()];
        hops.extend((0..100).map(|i| format!("10.0.0.{}", i % 250)));
        let header = hops.join(",");
        let got = client_address(ip("10.0.0.2"), [header.as_str()], &t);
        assert!(
            t.contains(got),
            "stopped inside the trusted chain, got {got}"
        );
    }

    #[test]
    fn ipv4_mapped_ipv6_is_normalised() {
        let t = proxies(&["10.0.0.1"]);
        let mapped = IpAddr::V6(Ipv4Addr::new(10, 0, 0, 1).to_ipv6_mapped());
        assert_eq!(
            client_address(mapped, ["::ffff:198.51.100.9"], &t),
            ip("198.51.100.9")
        );
        let peer = IpAddr::V6(Ipv4Addr::new(203, 0, 113, 7).to_ipv6_mapped());
        assert_eq!(client_address(peer, [], &t), ip("203.0.113.7"));
        assert_eq!(
            client_address(ip("10.0.0.1"), ["[2001:db8::1]"], &t),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))
        );
    }

    #[test]
    fn proxy_lists_parse_and_refuse_garbage() {
        let t = proxies(&[" 10.0.0.0/8 ", "", "::1", "fd00::/8", "192.168.1.7/24"]);
        assert!(t.contains(ip("10.200.0.1")));
        assert!(t.contains(ip("::1")));
        assert!(t.contains(ip("fd12::1")));
        assert!(t.contains(ip("192.168.1.200")));
        assert!(!t.contains(ip("11.0.0.1")));
        assert_eq!(
            TrustedProxies::parse(["10.0.0.0/33"])
                .unwrap_err()
                .to_string(),
            "`10.0.0.0/33` is not an IP address or CIDR block (e.g. `10.0.0.1` or `10.0.0.0/8`)"
        );
        assert!(TrustedProxies::parse(["proxy.internal"]).is_err());
    }

    fn public_v4() -> impl Strategy<Value = IpAddr> {
        (1u8..=9, any::<u8>(), any::<u8>(), any::<u8>())
            .prop_map(|(a, b, c, d)| IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
    }

    proptest! {
        #[test]
        fn an_untrusted_peer_is_always_the_client(peer in public_v4(), header in "\\PC{0,80}") {
            let t = proxies(&["10.0.0.0/8"]);
            prop_assert_eq!(client_address(peer, [header.as_str()], &t), peer);
        }

        #[test]
        fn spoofed_prefixes_never_change_the_answer(
            spoofed in proptest::collection::vec(public_v4(), 0..5),
            real in public_v4(),
        ) {
            let t = proxies(&["10.0.0.0/8"]);
            let mut entries: Vec<String> = spoofed.iter().map(ToString::to_string).collect();
            entries.push(real.to_string());
            entries.push("10.4.4.4".into());
            let header = entries.join(", ");
            prop_assert_eq!(client_address(ip("10.0.0.1"), [header.as_str()], &t), real);
        }
    }
}
