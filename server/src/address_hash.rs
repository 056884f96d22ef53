//! Network addresses are never stored: only a keyed one-way hash of them (for rate-limit
//! counters), and a truncated form where an address is kept at all.
//!
//! Why keyed: a plain SHA-256 of an IPv4 address is no protection. There are only 2^32 IPv4
//! addresses; hashing all of them takes minutes on one GPU, after which every stored hash is
//! reversed by table look-up. HMAC-SHA256 under a server secret makes that enumeration require the
//! secret, which never leaves the server (not in the database, not in logs, not in backups of the
//! database). A database leak on its own then reveals no visitor's address.
//!
//! The secret comes from configuration (`VITRINE_ADDRESS_HASH_SECRET`, hex, ≥ 32 bytes) — needed
//! when several processes share one PostgreSQL, as they must all hash alike — or is generated on
//! first start into `<data_dir>/address-hash.key`, readable by the server's user only.

use std::fmt;
use std::fs;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::keys::{hex_decode, hex_encode};

/// File name of the generated secret inside the data directory.
pub const KEY_FILE_NAME: &str = "address-hash.key";
/// Minimum secret length in bytes (256 bits: as strong as the hash itself).
pub const MIN_SECRET_BYTES: usize = 32;

/// Why the secret could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum AddressHashError {
    /// The secret is too short. (The secret itself is never echoed.)
    #[error("the address-hash secret has {0} bytes; at least 32 are needed")]
    TooShort(usize),
    /// The secret is not hex.
    #[error("the address-hash secret must be written in hex (e.g. `openssl rand -hex 32`)")]
    NotHex,
    /// The key file is readable or writable by group or others.
    #[error(
        "{path} has mode {mode:o}, so other users can read the address-hash secret: run `chmod 600 {path}`"
    )]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The key file is not a regular file (a symlink, say: refused so it cannot point elsewhere).
    #[error("{0} is not a regular file")]
    NotAFile(PathBuf),
    /// The key file's contents are not a valid secret.
    #[error("{path}: {source}")]
    BadFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with its contents.
        source: Box<AddressHashError>,
    },
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The OS random source failed.
    #[error("the operating system's random source failed: {0}")]
    Random(String),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> AddressHashError + '_ {
    move |source| AddressHashError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The server secret under which addresses are hashed. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AddressHashKey(Vec<u8>);

impl fmt::Debug for AddressHashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AddressHashKey(<{} bytes, redacted>)", self.0.len())
    }
}

/// A keyed hash of a network address: what rate-limit counters are keyed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AddressHash(pub [u8; 32]);

impl AddressHash {
    /// Lowercase hex, for storage as text.
    pub fn to_hex(&self) -> String {
        hex_encode(&self.0)
    }
}

impl AddressHashKey {
    /// A secret from raw bytes (at least 32).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, AddressHashError> {
        if bytes.len() < MIN_SECRET_BYTES {
            return Err(AddressHashError::TooShort(bytes.len()));
        }
        Ok(Self(bytes))
    }

    /// A secret from hex (surrounding whitespace ignored), as in configuration and the key file.
    pub fn from_hex(hex: &str) -> Result<Self, AddressHashError> {
        Self::from_bytes(hex_decode(hex.trim()).ok_or(AddressHashError::NotHex)?)
    }

    /// A fresh 32-byte secret from the OS CSPRNG.
    pub fn generate() -> Result<Self, AddressHashError> {
        let mut bytes = vec![0u8; MIN_SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| AddressHashError::Random(e.to_string()))?;
        Ok(Self(bytes))
    }

    /// Reads `<data_dir>/address-hash.key`, or creates it (mode 0600) with a fresh secret.
    ///
    /// Creation is atomic: the secret is written and synced to a private temporary file, which is
    /// then hard-linked to the final name. `link` fails if the name exists, so two processes
    /// starting together never both win, and a reader never sees a half-written file. An existing
    /// file that group or others may read or write is refused rather than silently fixed: the
    /// secret may already have leaked, and the operator should know.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, AddressHashError> {
        let path = data_dir.join(KEY_FILE_NAME);
        match Self::load(&path) {
            Err(AddressHashError::Io { source, .. })
                if source.kind() == io::ErrorKind::NotFound => {}
            other => return other,
        }
        // A directory we create is private too (it also holds the embedded database); an existing
        // one keeps the operator's permissions.
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(data_dir)
            .map_err(io_err(data_dir))?;
        let key = Self::generate()?;
        let mut suffix = [0u8; 8];
        getrandom::fill(&mut suffix).map_err(|e| AddressHashError::Random(e.to_string()))?;
        let tmp = data_dir.join(format!(".{KEY_FILE_NAME}.{}.tmp", hex_encode(&suffix)));
        let written = (|| {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            file.write_all(format!("{}\n", hex_encode(&key.0)).as_bytes())?;
            file.sync_all()?;
            fs::hard_link(&tmp, &path)
        })();
        // The temporary name goes either way; failing to remove it leaves a 0600 file, no leak.
        let _ = fs::remove_file(&tmp);
        match written {
            Ok(()) => Ok(key),
            // Another process created it first: use theirs, so all hash alike.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Self::load(&path),
            Err(e) => Err(AddressHashError::Io { path, source: e }),
        }
    }

    /// Reads an existing key file, refusing one that is not private to its owner.
    pub fn load(path: &Path) -> Result<Self, AddressHashError> {
        let meta = fs::symlink_metadata(path).map_err(io_err(path))?;
        if !meta.file_type().is_file() {
            return Err(AddressHashError::NotAFile(path.to_owned()));
        }
        let mode = meta.mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AddressHashError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
        let text = fs::read_to_string(path).map_err(io_err(path))?;
        Self::from_hex(&text).map_err(|e| AddressHashError::BadFile {
            path: path.to_owned(),
            source: Box::new(e),
        })
    }

    /// HMAC-SHA256 of the address under this secret. IPv4-mapped IPv6 is hashed as IPv4, and the
    /// family is part of the input, so `1.2.3.4` and `::102:304` never collide.
    pub fn hash(&self, ip: IpAddr) -> AddressHash {
        let mut input = [0u8; 17];
        let len = match ip.to_canonical() {
            IpAddr::V4(v4) => {
                input[0] = 4;
                input[1..5].copy_from_slice(&v4.octets());
                5
            }
            IpAddr::V6(v6) => {
                input[0] = 6;
                input[1..17].copy_from_slice(&v6.octets());
                17
            }
        };
        AddressHash(hmac_sha256(&self.0, &input[..len]))
    }
}

/// HMAC-SHA256 (RFC 2104), the primitive the address hash rests on.
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .expect("HMAC accepts keys of any length (long keys are hashed first)");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The address with its host part dropped, for the few places an address is kept at all:
/// IPv4 to its /24 (last octet zeroed), IPv6 to its /48 (a typical site allocation), so a record
/// points at a network, not a household. IPv4-mapped IPv6 is treated as IPv4.
pub fn truncate(ip: IpAddr) -> IpAddr {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::os::unix::fs::PermissionsExt;

    use proptest::prelude::*;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 1.
        assert_eq!(
            hex_encode(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        // Test case 2.
        assert_eq!(
            hex_encode(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block size.
        assert_eq!(
            hex_encode(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn same_input_same_hash_and_different_secrets_differ() {
        let a = AddressHashKey::from_bytes(vec![1; 32]).unwrap();
        let b = AddressHashKey::from_bytes(vec![2; 32]).unwrap();
        let addr = ip("203.0.113.7");
        assert_eq!(a.hash(addr), a.hash(addr));
        assert_ne!(a.hash(addr), b.hash(addr));
        assert_ne!(a.hash(addr), a.hash(ip("203.0.113.8")));
        // Mapped IPv6 is the same client as its IPv4.
        assert_eq!(a.hash(addr), a.hash(ip("::ffff:203.0.113.7")));
        // Families are separated.
        assert_ne!(a.hash(ip("1.2.3.4")), a.hash(ip("::102:304")));
        // The hash is not the unkeyed SHA-256 of the address.
        use sha2::Digest;
        assert_ne!(
            a.hash(addr).0,
            <[u8; 32]>::from(Sha256::digest([203, 0, 113, 7]))
        );
    }

    #[test]
    fn secrets_must_be_long_hex() {
        assert!(matches!(
            AddressHashKey::from_hex(&"ab".repeat(31)),
            Err(AddressHashError::TooShort(31))
        ));
        assert!(matches!(
            AddressHashKey::from_hex("not hex"),
            Err(AddressHashError::NotHex)
        ));
        assert!(AddressHashKey::from_hex(&format!(" {}\n", "ab".repeat(32))).is_ok());
        let k = AddressHashKey::from_hex(&"ab".repeat(32)).unwrap();
        assert!(!format!("{k:?}").contains("abab"));
    }

    #[test]
    fn the_key_file_is_created_0600_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("nested/data");
        let first = AddressHashKey::load_or_create(&data).unwrap();
        let path = data.join(KEY_FILE_NAME);
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            dir_mode & 0o077,
            0,
            "a created data dir is private: {dir_mode:o}"
        );
        let second = AddressHashKey::load_or_create(&data).unwrap();
        assert_eq!(first, second);
        // No temporary file is left behind.
        assert_eq!(fs::read_dir(&data).unwrap().count(), 1);
        assert_eq!(
            fs::read_to_string(&path).unwrap().trim(),
            hex_encode(&first.0)
        );
    }

    #[test]
    fn concurrent_first_starts_agree_on_one_secret() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_owned();
        let keys: Vec<_> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| AddressHashKey::load_or_create(&data).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(keys.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn a_world_readable_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        fs::write(&path, "ab".repeat(32)).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = AddressHashKey::load_or_create(dir.path()).unwrap_err();
        assert!(matches!(
            err,
            AddressHashError::Permissions { mode: 0o644, .. }
        ));
        assert!(err.to_string().contains("chmod 600"), "{err}");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            AddressHashKey::load_or_create(dir.path()).unwrap(),
            AddressHashKey::from_hex(&"ab".repeat(32)).unwrap()
        );
    }

    #[test]
    fn a_corrupt_or_symlinked_key_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE_NAME);
        fs::write(&path, "short").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            AddressHashKey::load_or_create(dir.path()),
            Err(AddressHashError::BadFile { .. })
        ));
        fs::remove_file(&path).unwrap();
        let target = dir.path().join("elsewhere");
        fs::write(&target, "ab".repeat(32)).unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();
        std::os::unix::fs::symlink(&target, &path).unwrap();
        assert!(matches!(
            AddressHashKey::load_or_create(dir.path()),
            Err(AddressHashError::NotAFile(_))
        ));
    }

    #[test]
    fn truncation_keeps_the_network_only() {
        assert_eq!(truncate(ip("203.0.113.77")), ip("203.0.113.0"));
        assert_eq!(truncate(ip("::ffff:203.0.113.77")), ip("203.0.113.0"));
        assert_eq!(
            truncate(ip("2001:db8:abcd:1234:5678::1")),
            ip("2001:db8:abcd::")
        );
    }

    proptest! {
        #[test]
        fn truncation_is_idempotent_and_prefix_preserving(bits in any::<u128>(), v4 in any::<u32>()) {
            let a6 = IpAddr::V6(Ipv6Addr::from(bits));
            let t6 = truncate(a6);
            prop_assert_eq!(truncate(t6), t6);
            if let (IpAddr::V6(x), IpAddr::V6(y)) = (a6.to_canonical(), t6) {
                prop_assert_eq!(u128::from(x) >> 80, u128::from(y) >> 80);
                prop_assert_eq!(u128::from(y) & ((1u128 << 80) - 1), 0);
            }
            let a4 = IpAddr::V4(Ipv4Addr::from(v4));
            prop_assert_eq!(truncate(a4), IpAddr::V4(Ipv4Addr::from(v4 & !0xff)));
        }
    }
}
