//! Identifiers that cannot identify: the keyed hashes and truncations that the widget applies
//! before anything leaves the browser and that the server applies before anything is stored.
//! One implementation, so the two sides cannot drift apart.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest user id the widget accepts from the retailer (longer ones are refused, not cut: two
/// ids sharing a long prefix must not become one).
pub const MAX_USER_ID_CHARS: usize = 256;

/// Length of a per-retailer user-id salt, in bytes.
pub const USER_SALT_BYTES: usize = 32;

/// What is wrong with an identifier handed to the hashing functions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// The user id is empty (or only whitespace).
    #[error("the user id is empty")]
    EmptyUserId,
    /// The user id is longer than [`MAX_USER_ID_CHARS`].
    #[error("the user id has more than {MAX_USER_ID_CHARS} characters")]
    UserIdTooLong,
    /// The salt is not 32 bytes of lowercase hex.
    #[error("the user-id salt must be {USER_SALT_BYTES} bytes in lowercase hex")]
    BadSalt,
}

/// HMAC-SHA256 (RFC 2104).
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC is defined for keys of every length (long keys are hashed first), so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of any length")
    };
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The retailer's user id, hashed under that retailer's salt: `HMAC-SHA256(salt, "vitrine/user-id/v1" 0x00 id)`,
/// as 64 lowercase hex digits. Surrounding whitespace is ignored; case is kept (user ids are
/// the retailer's, and may be case-sensitive).
///
/// The salt is per retailer, so the same id at two retailers gives unrelated hashes. It is public
/// (the widget fetches it), so the hash resists linking across retailers, not a guess of a
/// known id at one retailer: a retailer that uses emails as user ids should know that a hash of
/// an email can be confirmed by anyone who already has that email and the salt.
pub fn hash_user_id(salt_hex: &str, user_id: &str) -> Result<String, IdentifierError> {
    let salt = hex_decode(salt_hex)
        .filter(|salt| salt.len() == USER_SALT_BYTES)
        .ok_or(IdentifierError::BadSalt)?;
    let id = user_id.trim();
    if id.is_empty() {
        return Err(IdentifierError::EmptyUserId);
    }
    if id.chars().count() > MAX_USER_ID_CHARS {
        return Err(IdentifierError::UserIdTooLong);
    }
    let mut input = Vec::with_capacity(20 + id.len());
    input.extend_from_slice(b"vitrine/user-id/v1\0");
    input.extend_from_slice(id.as_bytes());
    Ok(hex_encode(&hmac_sha256(&salt, &input)))
}

/// The address with its host part dropped: IPv4 to its /24 (last octet zeroed), IPv6 to its /48
/// (a typical site allocation), so what is kept points at a network, not a household.
/// IPv4-mapped IPv6 is treated as IPv4.
pub fn truncate_address(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], 0, 0, 0, 0, 0))
        }
    }
}

/// Lowercase hex.
pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Bytes from lowercase hex; `None` for anything else (odd length, uppercase, other characters).
pub fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    if !is_lower_hex(hex, hex.len()) || !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => b - b'0',
        _ => b - b'a' + 10,
    };
    Some(
        hex.as_bytes()
            .chunks_exact(2)
            .map(|pair| digit(pair[0]) << 4 | digit(pair[1]))
            .collect(),
    )
}

/// Whether `text` is exactly `len` lowercase hex digits (the shape of every identifier on the
/// wire: a random id or a hash; nothing a person could have typed).
pub fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        assert_eq!(
            hex_encode(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex_encode(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hex_encode(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn user_id_hash_vectors() {
        let salt = "00".repeat(32);
        // Computed independently: python3 -c "import hmac,hashlib;
        //   print(hmac.new(bytes(32), b'vitrine/user-id/v1\0user-42', hashlib.sha256).hexdigest())"
        assert_eq!(
            hash_user_id(&salt, "user-42").unwrap(),
            USER_42_UNDER_ZERO_SALT
        );
        assert_eq!(
            hash_user_id(&salt, "  user-42\n").unwrap(),
            USER_42_UNDER_ZERO_SALT
        );
        assert_ne!(
            hash_user_id(&salt, "User-42").unwrap(),
            USER_42_UNDER_ZERO_SALT
        );
        // Another retailer's salt: unrelated.
        assert_ne!(
            hash_user_id(&"01".repeat(32), "user-42").unwrap(),
            USER_42_UNDER_ZERO_SALT
        );
        assert_eq!(hash_user_id(&salt, " "), Err(IdentifierError::EmptyUserId));
        assert_eq!(
            hash_user_id(&salt, &"x".repeat(257)),
            Err(IdentifierError::UserIdTooLong)
        );
        assert!(hash_user_id(&salt, &"é".repeat(256)).is_ok());
        assert_eq!(hash_user_id("00", "user-42"), Err(IdentifierError::BadSalt));
        assert_eq!(
            hash_user_id(&"AB".repeat(32), "user-42"),
            Err(IdentifierError::BadSalt)
        );
    }

    /// See `user_id_hash_vectors`.
    pub(crate) const USER_42_UNDER_ZERO_SALT: &str =
        "61bc47acc0c38ec08694044babc3a52b1f5ec2435e7bded5c7a8735271b7e81b";

    #[test]
    fn truncation_vectors() {
        for (full, truncated) in [
            ("203.0.113.77", "203.0.113.0"),
            ("203.0.113.0", "203.0.113.0"),
            ("::ffff:203.0.113.77", "203.0.113.0"),
            ("2001:db8:abcd:1234:5678::1", "2001:db8:abcd::"),
            ("2001:db8:abcd::", "2001:db8:abcd::"),
            ("fe80::1", "fe80::"),
        ] {
            assert_eq!(truncate_address(ip(full)), ip(truncated), "{full}");
        }
    }

    #[test]
    fn hex_round_trips_and_refuses_other_shapes() {
        assert_eq!(hex_encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(hex_decode("00abff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(hex_decode("00ABff"), None);
        assert_eq!(hex_decode("0"), None);
        assert_eq!(hex_decode("zz"), None);
        assert!(is_lower_hex("0123456789abcdef", 16));
        assert!(!is_lower_hex("0123456789abcdef", 15));
    }

    proptest! {
        #[test]
        fn truncation_is_idempotent_and_prefix_preserving(bits in any::<u128>(), v4 in any::<u32>()) {
            let a6 = IpAddr::V6(Ipv6Addr::from(bits));
            let t6 = truncate_address(a6);
            prop_assert_eq!(truncate_address(t6), t6);
            if let (IpAddr::V6(x), IpAddr::V6(y)) = (a6.to_canonical(), t6) {
                prop_assert_eq!(u128::from(x) >> 80, u128::from(y) >> 80);
                prop_assert_eq!(u128::from(y) & ((1u128 << 80) - 1), 0);
            }
            let a4 = IpAddr::V4(Ipv4Addr::from(v4));
            prop_assert_eq!(truncate_address(a4), IpAddr::V4(Ipv4Addr::from(v4 & !0xff)));
        }

        #[test]
        fn user_hashes_are_64_hex_and_salt_separated(id in "\\PC{1,64}", a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
            prop_assume!(!id.trim().is_empty() && a != b);
            let ha = hash_user_id(&hex_encode(&a), &id).unwrap();
            let hb = hash_user_id(&hex_encode(&b), &id).unwrap();
            prop_assert!(is_lower_hex(&ha, 64));
            prop_assert_ne!(ha, hb);
        }

        #[test]
        fn hex_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(hex_decode(&hex_encode(&bytes)), Some(bytes));
        }
    }
}
