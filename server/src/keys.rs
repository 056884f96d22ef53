//! Retailer API keys: publishable keys (`pk_…`, embedded in a shop's page, public by design) and
//! secret keys (`sk_…`, for the retailer API, shown once and stored only as a hash).
//!
//! Both are drawn from the operating system's CSPRNG and written in base62 (`[0-9A-Za-z]`) so they
//! survive copy-paste, URLs and double-click selection. Lengths:
//!
//! - publishable: `pk_` + 32 base62 characters ≈ 190 bits. It is an identifier, not a secret (it
//!   ships in the retailer's HTML); the length only makes keys unguessable so that enumerating
//!   them teaches nothing.
//! - secret: `sk_` + 43 base62 characters ≈ 256 bits (62^43 > 2^256). Longer secrets (up to 64
//!   characters) parse too, so the format can grow without breaking stored keys.
//!
//! Parsing rejects anything else before any database look-up: a malformed `Authorization` header
//! costs a length check and a character scan, never a query.

use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of a publishable key.
pub const PUBLISHABLE_PREFIX: &str = "pk_";
/// Prefix of a secret key.
pub const SECRET_PREFIX: &str = "sk_";
/// Base62 characters after `pk_`.
pub const PUBLISHABLE_LEN: usize = 32;
/// Minimum base62 characters after `sk_` (≥ 256 bits of entropy).
pub const SECRET_MIN_LEN: usize = 43;
/// Maximum base62 characters after `sk_`: bounds the work done on hostile input.
pub const SECRET_MAX_LEN: usize = 64;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Why a key was refused or could not be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The key does not start with the expected prefix.
    #[error("a {kind} key starts with `{prefix}`")]
    WrongPrefix {
        /// "publishable" or "secret".
        kind: &'static str,
        /// The prefix expected.
        prefix: &'static str,
    },
    /// The key body has the wrong length.
    #[error("a {kind} key has {expected} characters after its prefix, not {found}")]
    WrongLength {
        /// "publishable" or "secret".
        kind: &'static str,
        /// What was expected, for the message.
        expected: &'static str,
        /// What was found.
        found: usize,
    },
    /// The key body holds a character outside `[0-9A-Za-z]`.
    #[error("a {kind} key holds only the characters 0-9, A-Z and a-z after its prefix")]
    BadCharacter {
        /// "publishable" or "secret".
        kind: &'static str,
    },
    /// The operating system's random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

/// Characters of a gallery withdrawal token: 43 base62 characters, 256 bits of randomness.
pub const WITHDRAWAL_TOKEN_CHARS: usize = 43;

/// A fresh gallery withdrawal token: shown to the shopper once, stored only as its SHA-256.
pub fn withdrawal_token() -> Result<String, KeyError> {
    random_base62(WITHDRAWAL_TOKEN_CHARS)
}

/// Whether `text` has a withdrawal token's shape (anything else is not looked up).
pub fn is_withdrawal_token(text: &str) -> bool {
    text.len() == WITHDRAWAL_TOKEN_CHARS && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Fills a string with `len` uniformly random base62 characters from the OS CSPRNG.
///
/// Rejection sampling (bytes ≥ 248 are drawn again) keeps every character equally likely: a plain
/// `byte % 62` would favour the first 8 characters and shave entropy off every key.
fn random_base62(len: usize) -> Result<String, KeyError> {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|e| KeyError::Random(e.to_string()))?;
        for &b in &buf {
            if out.len() == len {
                break;
            }
            if b < 248 {
                out.push(char::from(ALPHABET[usize::from(b % 62)]));
            }
        }
    }
    Ok(out)
}

fn check_body(body: &str, kind: &'static str) -> Result<(), KeyError> {
    if body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(KeyError::BadCharacter { kind })
    }
}

/// A well-formed publishable key. Public: it identifies a retailer's widget installation.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PublishableKey(String);

impl PublishableKey {
    /// Draws a new key from the OS CSPRNG.
    pub fn generate() -> Result<Self, KeyError> {
        Ok(Self(format!(
            "{PUBLISHABLE_PREFIX}{}",
            random_base62(PUBLISHABLE_LEN)?
        )))
    }

    /// Checks the format only (prefix, length, alphabet); whether the key exists is the store's job.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        const KIND: &str = "publishable";
        let body = s
            .strip_prefix(PUBLISHABLE_PREFIX)
            .ok_or(KeyError::WrongPrefix {
                kind: KIND,
                prefix: PUBLISHABLE_PREFIX,
            })?;
        if body.len() != PUBLISHABLE_LEN {
            return Err(KeyError::WrongLength {
                kind: KIND,
                expected: "32",
                found: body.len(),
            });
        }
        check_body(body, KIND)?;
        Ok(Self(s.to_owned()))
    }

    /// The key as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PublishableKey").field(&self.0).finish()
    }
}

impl fmt::Display for PublishableKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A well-formed secret key. Never logged: `Debug` redacts it, and it has no `Display`, so
/// printing one takes a deliberate `expose()`.
#[derive(Clone)]
pub struct SecretKey(String);

impl SecretKey {
    /// Draws a new key from the OS CSPRNG (256 bits).
    pub fn generate() -> Result<Self, KeyError> {
        Ok(Self(format!(
            "{SECRET_PREFIX}{}",
            random_base62(SECRET_MIN_LEN)?
        )))
    }

    /// Checks the format only (prefix, length, alphabet).
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        const KIND: &str = "secret";
        let body = s.strip_prefix(SECRET_PREFIX).ok_or(KeyError::WrongPrefix {
            kind: KIND,
            prefix: SECRET_PREFIX,
        })?;
        if !(SECRET_MIN_LEN..=SECRET_MAX_LEN).contains(&body.len()) {
            return Err(KeyError::WrongLength {
                kind: KIND,
                expected: "43 to 64",
                found: body.len(),
            });
        }
        check_body(body, KIND)?;
        Ok(Self(s.to_owned()))
    }

    /// The key itself, to show the retailer once at creation.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash stored in place of the key.
    ///
    /// Plain SHA-256 suffices here, unlike for passwords or network addresses: those come from
    /// small spaces (a human's vocabulary, 2^32 IPv4 addresses) that an attacker holding the table
    /// can enumerate, so they need a slow or keyed hash. A secret key holds 256 bits from a CSPRNG;
    /// nobody can enumerate 2^256 candidates, and SHA-256 is preimage resistant, so a leaked
    /// table yields no usable key. A fast hash also keeps authentication cheap.
    pub fn hash(&self) -> SecretKeyHash {
        SecretKeyHash(Sha256::digest(self.0.as_bytes()).into())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(sk_…redacted)")
    }
}

/// SHA-256 of a secret key, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecretKeyHash(pub [u8; 32]);

impl SecretKeyHash {
    /// Whether `key` hashes to this value, compared in constant time.
    ///
    /// The comparison is constant-time so that response timing cannot reveal how many leading
    /// bytes of a guess's hash match the stored one (defence in depth: the hash of a guess is not
    /// under an attacker's control byte by byte, but the check costs nothing).
    pub fn verify(&self, key: &SecretKey) -> bool {
        key.hash().0.ct_eq(&self.0).into()
    }

    /// Lowercase hex, for storage as text.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Bytes of a hex string (either case); `None` if it has an odd length or a non-hex character.
pub(crate) fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            let hi = char::from(pair[0]).to_digit(16)?;
            let lo = char::from(pair[1]).to_digit(16)?;
            u8::try_from(hi * 16 + lo).ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::collections::HashSet;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn generated_keys_have_their_format_and_parse_back() {
        let pk = PublishableKey::generate().unwrap();
        assert!(pk.as_str().starts_with("pk_"));
        assert_eq!(pk.as_str().len(), 3 + 32);
        assert_eq!(PublishableKey::parse(pk.as_str()).unwrap(), pk);
        let sk = SecretKey::generate().unwrap();
        assert!(sk.expose().starts_with("sk_"));
        assert_eq!(sk.expose().len(), 3 + 43);
        assert_eq!(SecretKey::parse(sk.expose()).unwrap().expose(), sk.expose());
    }

    #[test]
    fn keys_are_unique_over_many_draws() {
        let pks: HashSet<String> = (0..10_000)
            .map(|_| PublishableKey::generate().unwrap().0)
            .collect();
        assert_eq!(pks.len(), 10_000);
        let sks: HashSet<String> = (0..10_000)
            .map(|_| SecretKey::generate().unwrap().0)
            .collect();
        assert_eq!(sks.len(), 10_000);
    }

    #[test]
    fn every_character_of_the_alphabet_appears() {
        // Catches a biased or truncated alphabet.
        let mut seen = HashSet::new();
        for _ in 0..200 {
            seen.extend(SecretKey::generate().unwrap().0[3..].chars());
        }
        assert_eq!(seen.len(), 62);
    }

    #[test]
    fn malformed_keys_are_refused_with_a_typed_error() {
        let body32 = "a".repeat(32);
        assert!(matches!(
            PublishableKey::parse(&format!("sk_{body32}")),
            Err(KeyError::WrongPrefix { .. })
        ));
        assert!(matches!(
            PublishableKey::parse(&format!("PK_{body32}")),
            Err(KeyError::WrongPrefix { .. })
        ));
        assert!(matches!(
            PublishableKey::parse("pk_abc"),
            Err(KeyError::WrongLength { found: 3, .. })
        ));
        assert!(matches!(
            PublishableKey::parse(&format!("pk_{body32}a")),
            Err(KeyError::WrongLength { found: 33, .. })
        ));
        assert!(matches!(
            PublishableKey::parse(&format!("pk_{}-", "a".repeat(31))),
            Err(KeyError::BadCharacter { .. })
        ));
        assert!(matches!(
            PublishableKey::parse(&format!("pk_{}é", "a".repeat(30))),
            Err(KeyError::BadCharacter { .. })
        ));
        assert!(PublishableKey::parse("").is_err());
        assert!(matches!(
            SecretKey::parse(&format!("pk_{}", "a".repeat(43))),
            Err(KeyError::WrongPrefix { .. })
        ));
        assert!(matches!(
            SecretKey::parse(&format!("sk_{}", "a".repeat(42))),
            Err(KeyError::WrongLength { found: 42, .. })
        ));
        assert!(matches!(
            SecretKey::parse(&format!("sk_{}", "a".repeat(65))),
            Err(KeyError::WrongLength { found: 65, .. })
        ));
        assert!(SecretKey::parse(&format!("sk_{}", "a".repeat(64))).is_ok());
        assert!(matches!(
            SecretKey::parse(&format!("sk_{} ", "a".repeat(43))),
            Err(KeyError::BadCharacter { .. })
        ));
    }

    #[test]
    fn error_messages_name_the_problem() {
        assert_eq!(
            PublishableKey::parse("pk_abc").unwrap_err().to_string(),
            "a publishable key has 32 characters after its prefix, not 3"
        );
        assert_eq!(
            SecretKey::parse("nope").unwrap_err().to_string(),
            "a secret key starts with `sk_`"
        );
    }

    #[test]
    fn secret_key_hash_matches_a_known_sha256_vector() {
        // sha256("sk_" + "a" * 43), computed independently with `printf %s … | sha256sum`.
        let sk = SecretKey::parse(&format!("sk_{}", "a".repeat(43))).unwrap();
        assert_eq!(
            sk.hash().to_hex(),
            "358edb0c978628fb1f389add40623411782dbbca04540e3dae49f583dce80d3d"
        );
    }

    #[test]
    fn verify_is_true_for_the_key_and_false_for_another() {
        let sk = SecretKey::generate().unwrap();
        let stored = sk.hash();
        assert!(stored.verify(&sk));
        assert!(!stored.verify(&SecretKey::generate().unwrap()));
    }

    #[test]
    fn debug_of_a_secret_key_never_shows_it() {
        let sk = SecretKey::generate().unwrap();
        assert!(!format!("{sk:?}").contains(&sk.expose()[3..]));
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex_encode(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(hex_decode("00ABff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("+1"), None);
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_accepts_only_the_format(s in "\\PC{0,80}") {
            if let Ok(k) = PublishableKey::parse(&s) {
                prop_assert_eq!(k.as_str().len(), 35);
                prop_assert!(k.as_str()[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
            }
            if let Ok(k) = SecretKey::parse(&s) {
                prop_assert!((46..=67).contains(&k.expose().len()));
                prop_assert!(k.expose()[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
            }
        }

        #[test]
        fn hex_round_trips_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(hex_decode(&hex_encode(&bytes)), Some(bytes));
        }
    }
}
